import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ActivityPage, DeadLetterPage, InboxFigures, ReplayResult, SyncOverview, SyncStartResult } from '../api/contract'
import { ActivityLog, InboxEvent, Member, SyncRun } from '../entities'
import { errorBody, jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { buildEvent } from '../../test/factories'
import { runScript } from '../../test/processes'
import { callsTo, startWecomHarness, type WecomHarness } from '../../test/wecom'
import { reconcileJob } from '../jobs/reconcile'
import { runJob } from '../jobs/runJob'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(async () => {
  // A sync still running would write after the database is gone.
  await expect.poll(async () => harness.dataSource.getRepository(SyncRun).countBy({ status: 'running' }), { timeout: 20_000 }).toBe(0)
  await harness.cleanup()
})

const as = async (userid: string) => (await signedIn(harness, userid)).api
const post = { method: 'POST' }

const xml = (n: number) => `<xml><ToUserName>wwtest</ToUserName><FromUserName>sys</FromUserName><CreateTime>${1_700_000_000 + n}</CreateTime><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>edit_external_contact</ChangeType><UserID>seller</UserID><ExternalUserID>wm${n}</ExternalUserID></xml>`
let events = 0
const event = (overrides: Partial<InboxEvent> = {}) => buildEvent(harness.dataSource, xml(++events), overrides)
const dead = (error = 'contact-mirror: WecomError: WeCom /cgi-bin/externalcontact/get failed with -1: system busy', overrides: Partial<InboxEvent> = {}) =>
  event({ status: 'dead', attempts: 8, lastError: error, processedAt: new Date(), ...overrides })
const inboxRows = () => harness.dataSource.getRepository(InboxEvent).find({ order: { id: 'ASC' } })
const activity = () => harness.dataSource.getRepository(ActivityLog).find({ order: { id: 'ASC' } })

const GETS = ['/api/console/system/inbox', '/api/console/system/dead-letters', '/api/console/system/syncs', '/api/console/activity']
const POSTS = ['/api/console/system/dead-letters/replay', '/api/console/system/dead-letters/1/replay', '/api/console/system/syncs']

describe(`the console's 系统 API on ${testDatabaseKind}`, () => {
  it('answers operators only: 403 forbidden to a manager, 403 no_console_access to a seller, 401 without a session; nothing changes', async () => {
    const letter = await dead()
    const before = await inboxRows()
    for (const [userid, id] of [
      ['manager', 'forbidden'],
      ['seller', 'no_console_access'],
    ] as const) {
      const api = await as(userid)
      for (const path of GETS) {
        const response = await api(path)
        expect(response.status, `${userid} ${path}`).toBe(403)
        expect((await errorBody(response)).id).toBe(id)
      }
      for (const path of [...POSTS, `/api/console/system/dead-letters/${letter.id}/replay`]) {
        const response = await api(path, post)
        expect(response.status, `${userid} ${path}`).toBe(403)
        expect((await errorBody(response)).id).toBe(id)
      }
    }
    for (const path of GETS) expect((await fetch(`${harness.server!.url}${path}`)).status, path).toBe(401)
    expect(await inboxRows()).toEqual(before)
    expect(await harness.dataSource.getRepository(SyncRun).count()).toBe(0)
    expect(await activity()).toEqual([])
  })

  it("counts the inbox by status, its lag, and each processor's failures from the retrying events and dead letters", async () => {
    const minuteAgo = new Date(Date.now() - 60_000)
    await event({ receivedAt: minuteAgo })
    await event({ attempts: 2, lastError: 'contact-mirror: Error: timeout; loss-alert: WecomError: WeCom /cgi-bin/message/send failed with 45009: busy' })
    await event({ status: 'done', processedAt: new Date() })
    await event({ status: 'ignored', processedAt: new Date() })
    await dead()
    await dead('order-matching: Error: deadlock')
    await dead('SyntaxError: Unexpected token < in XML')

    const figures = await jsonBody<InboxFigures>(await (await as('operator'))('/api/console/system/inbox'))
    expect(figures.counts).toEqual({ pending: 2, done: 1, ignored: 1, dead: 3 })
    expect(figures.retrying).toBe(1)
    expect(figures.lagSeconds).toBeGreaterThanOrEqual(59)
    expect(figures.lagSeconds).toBeLessThan(120)
    expect(figures.oldestPendingAt).toBe(minuteAgo.toISOString())
    expect(figures.failures).toEqual([
      { processor: 'contact-mirror', retrying: 1, dead: 1 },
      { processor: 'loss-alert', retrying: 1, dead: 0 },
      { processor: 'order-matching', retrying: 0, dead: 1 },
      { processor: 'inbox', retrying: 0, dead: 1 },
    ])
  })

  it('lists dead letters newest first, 50 a page, with their event, error and failed processors; a bad page is refused', async () => {
    for (let i = 0; i < 52; i++) await dead()
    await dead('group-chats: Error: gone; transfer-failure: Error: also gone')
    await event()
    const api = await as('operator')
    const first = await jsonBody<DeadLetterPage>(await api('/api/console/system/dead-letters'))
    expect(first.deadLetters).toHaveLength(50)
    expect(first.deadLetters[0]).toMatchObject({
      event: 'change_external_contact',
      changeType: 'edit_external_contact',
      attempts: 8,
      error: 'group-chats: Error: gone; transfer-failure: Error: also gone',
      processors: ['group-chats', 'transfer-failure'],
    })
    const ids = first.deadLetters.map((d) => d.id)
    expect(ids).toEqual([...ids].sort((a, b) => b - a))
    expect(first.nextBefore).toBe(ids.at(-1))
    const second = await jsonBody<DeadLetterPage>(await api(`/api/console/system/dead-letters?before=${first.nextBefore}`))
    expect(second.deadLetters).toHaveLength(3)
    expect(second.nextBefore).toBeNull()
    expect(second.deadLetters[0]!.processors).toEqual(['contact-mirror'])
    for (const query of ['before=0', 'before=abc', 'before=1&before=2', 'page=2']) {
      const response = await api(`/api/console/system/dead-letters?${query}`)
      expect(response.status, query).toBe(400)
      expect((await errorBody(response)).id).toBe('bad_request')
    }
  })

  it('replays one dead letter as new, once: a second replay, a live event and an unknown id change nothing', async () => {
    const letter = await dead()
    const other = await dead()
    const live = await event({ attempts: 3, lastError: 'contact-mirror: Error: timeout' })
    const api = await as('operator')

    expect(await jsonBody<ReplayResult>(await api(`/api/console/system/dead-letters/${letter.id}/replay`, post))).toEqual({ replayed: 1 })
    const replayed = await harness.dataSource.getRepository(InboxEvent).findOneByOrFail({ id: letter.id })
    expect(replayed).toMatchObject({ status: 'pending', attempts: 0, processedAt: null })
    expect(replayed.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now())
    const operator = await harness.dataSource.getRepository(Member).findOneByOrFail({ userid: 'operator' })
    const logged = await activity()
    expect(logged).toMatchObject([{ actorMemberId: operator.id, action: 'inbox_replayed', customerId: null }])
    expect(JSON.parse(logged[0]!.detail)).toEqual({ inboxEventId: letter.id })

    const after = await inboxRows()
    for (const id of [letter.id, live.id]) {
      expect(await jsonBody<ReplayResult>(await api(`/api/console/system/dead-letters/${id}/replay`, post)), String(id)).toEqual({ replayed: 0 })
    }
    for (const path of ['/api/console/system/dead-letters/999999/replay', '/api/console/system/dead-letters/0/replay', '/api/console/system/dead-letters/x/replay']) {
      expect((await api(path, post)).status, path).toBe(404)
    }
    expect(await inboxRows()).toEqual(after)
    expect(after.find((row) => row.id === other.id)!.status).toBe('dead')
    expect(await activity()).toHaveLength(1)
  })

  it('replays all dead letters once, leaving live events alone; replaying again changes nothing', async () => {
    const letters = [await dead(), await dead('order-matching: Error: deadlock'), await dead()]
    const live = await event({ attempts: 3, lastError: 'contact-mirror: Error: timeout' })
    const handled = await event({ status: 'done', processedAt: new Date() })
    const untouched = (await inboxRows()).filter((row) => row.id === live.id || row.id === handled.id)
    const api = await as('operator')

    expect(await jsonBody<ReplayResult>(await api('/api/console/system/dead-letters/replay', post))).toEqual({ replayed: 3 })
    const rows = await inboxRows()
    for (const letter of letters) expect(rows.find((row) => row.id === letter.id)).toMatchObject({ status: 'pending', attempts: 0 })
    expect(rows.filter((row) => row.id === live.id || row.id === handled.id)).toEqual(untouched)
    const logged = await activity()
    expect(logged).toMatchObject([{ action: 'inbox_replayed_all' }])
    expect(JSON.parse(logged[0]!.detail)).toEqual({ replayed: 3 })

    expect(await jsonBody<ReplayResult>(await api('/api/console/system/dead-letters/replay', post))).toEqual({ replayed: 0 })
    expect(await inboxRows()).toEqual(rows)
    expect(await activity()).toHaveLength(1)
    const figures = await jsonBody<InboxFigures>(await api('/api/console/system/inbox'))
    expect(figures.counts.dead).toBe(0)
    // The replayed events are handled by the worker like new ones.
    expect(await harness.drainInbox()).toBeGreaterThanOrEqual(3)
  })

  it('runs 立即同步 against WeCom in the server, one at a time, with progress to the end, and logs who started it', async () => {
    harness.simulator.setLatency(60)
    const pagesBefore = callsTo(harness.simulator, '/cgi-bin/externalcontact/batch/get_by_user').length
    const api = await as('operator')
    const start = await jsonBody<SyncStartResult>(await api('/api/console/system/syncs', post), 202)
    expect(start).toMatchObject({ started: true, sync: { status: 'running', origin: 'console', startedBy: { userid: 'operator', name: '孙薇' }, summary: null, error: null } })

    // A second press while it runs starts nothing: it answers the running sync.
    const again = await jsonBody<SyncStartResult>(await api('/api/console/system/syncs', post))
    expect(again).toMatchObject({ started: false, sync: { id: start.sync.id, status: 'running' } })
    const running = await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))
    expect(running.running?.id).toBe(start.sync.id)

    const seen = new Set<string>()
    await expect
      .poll(
        async () => {
          const overview = await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))
          for (const stage of Object.keys(overview.recent[0]?.progress ?? {})) seen.add(stage)
          return overview.running
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBeNull()
    harness.simulator.setLatency(0)
    const overview = await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))
    expect(overview.recent).toHaveLength(1)
    const [done] = overview.recent
    expect(done).toMatchObject({ id: start.sync.id, status: 'done', error: null, progress: { removals: { done: 1, total: 1 }, tags: { done: 1, total: 1 } } })
    expect(done!.progress.customers!.done).toBe(done!.progress.customers!.total)
    expect(done!.progress.members).toEqual({ done: 4, total: 4 })
    expect(done!.summary).toMatchObject({ members: 4, resumed: false })
    expect(done!.finishedAt).not.toBeNull()
    expect(seen.has('customers')).toBe(true)
    expect(callsTo(harness.simulator, '/cgi-bin/externalcontact/batch/get_by_user').length).toBeGreaterThan(pagesBefore)

    const logged = await activity()
    expect(logged.map((row) => row.action)).toEqual(['sync_started'])
    expect(JSON.parse(logged[0]!.detail)).toEqual({ syncRunId: start.sync.id })

    // Once it ended, the button starts a new one.
    const next = await jsonBody<SyncStartResult>(await api('/api/console/system/syncs', post), 202)
    expect(next.sync.id).not.toBe(start.sync.id)
    await expect.poll(async () => (await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))).running, { timeout: 20_000 }).toBeNull()
    expect((await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))).recent.map((s) => s.id)).toEqual([next.sync.id, start.sync.id])
  })

  it('records a sync that WeCom refused as failed, with the reason, and frees the button', async () => {
    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/get_follow_user_list', errcode: 60011 })
    const api = await as('operator')
    await jsonBody<SyncStartResult>(await api('/api/console/system/syncs', post), 202)
    await expect.poll(async () => (await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))).running, { timeout: 20_000 }).toBeNull()
    const [failed] = (await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))).recent
    expect(failed).toMatchObject({ status: 'failed', summary: null })
    expect(failed!.error).toContain('60011')
    harness.simulator.clearFaults()
  })

  it('takes over a running sync whose process is gone', async () => {
    const now = new Date()
    await harness.dataSource.getRepository(SyncRun).insert({
      origin: 'console', actorMemberId: null, status: 'running', runningKey: 'full-sync', claimedBy: 'elsewhere:1:1:aa', startedAt: now, leaseUntil: new Date(now.getTime() - 1), progress: '{}',
    })
    const api = await as('operator')
    const start = await jsonBody<SyncStartResult>(await api('/api/console/system/syncs', post), 202)
    expect(start.started).toBe(true)
    await expect.poll(async () => (await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))).running, { timeout: 20_000 }).toBeNull()
    const recent = (await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))).recent
    expect(recent.map((s) => s.status)).toEqual(['done', 'failed'])
    expect(recent[1]!.error).toContain('interrupted')
  })

  it('lists the syncs of npm run sync and the nightly reconcile beside its own, and starts none while npm run sync runs', async () => {
    // The command's customer pages come late: its sync is still running when 立即同步 is pressed.
    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/batch/get_by_user', latencyMs: 1_500, times: 2 })
    const cli = runScript('server/cli/sync.ts', { env: harness.commandEnv() })
    const api = await as('operator')
    await expect.poll(async () => (await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))).running?.origin, { timeout: 20_000, interval: 50 }).toBe('cli')
    const pressed = await jsonBody<SyncStartResult>(await api('/api/console/system/syncs', post))
    expect(pressed).toMatchObject({ started: false, sync: { status: 'running', origin: 'cli', startedBy: null } })
    expect((await cli.exited).code, cli.output()).toBe(0)
    expect(await activity()).toEqual([])

    await runJob(reconcileJob, harness.jobContext(), { date: '2026-03-01', dryRun: false })
    await jsonBody<SyncStartResult>(await api('/api/console/system/syncs', post), 202)
    await expect.poll(async () => (await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))).running, { timeout: 20_000 }).toBeNull()
    const { recent } = await jsonBody<SyncOverview>(await api('/api/console/system/syncs'))
    expect(recent.map((run) => [run.origin, run.status, run.startedBy?.userid ?? null])).toEqual([
      ['console', 'done', 'operator'],
      ['reconcile', 'done', null],
      ['cli', 'done', null],
    ])
    expect(recent[2]!.summary).toMatchObject({ members: 4, resumed: false })
  })

  it('reads the activity log newest first with the actor, filtered by member and action, paged; bad filters are refused', async () => {
    const members = harness.dataSource.getRepository(Member)
    const [operator, seller] = [await members.findOneByOrFail({ userid: 'operator' }), await members.findOneByOrFail({ userid: 'seller' })]
    const rows = Array.from({ length: 55 }, (_, i) => ({
      actorMemberId: i % 2 === 0 ? seller.id : operator.id,
      customerId: null,
      action: i % 5 === 0 ? 'tag_added' : 'follow_up',
      detail: JSON.stringify({ n: i, note: '<b>x</b>' }),
      createdAt: new Date(Date.now() - (55 - i) * 1000),
    }))
    for (const row of rows) await harness.dataSource.getRepository(ActivityLog).insert(row)
    const api = await as('operator')

    const first = await jsonBody<ActivityPage>(await api('/api/console/activity'))
    expect(first.entries).toHaveLength(50)
    expect(first.entries[0]).toMatchObject({ actor: { userid: 'seller', name: '陈浩' }, action: 'follow_up', detail: { n: 54, note: '<b>x</b>' }, customer: null })
    const second = await jsonBody<ActivityPage>(await api(`/api/console/activity?before=${first.nextBefore}`))
    expect(second.entries.map((e) => e.detail.n)).toEqual([4, 3, 2, 1, 0])
    expect(second.nextBefore).toBeNull()

    const sellers = await jsonBody<ActivityPage>(await api('/api/console/activity?member=seller&action=tag_added'))
    expect(sellers.entries.map((e) => e.detail.n)).toEqual([50, 40, 30, 20, 10, 0])
    expect((await jsonBody<ActivityPage>(await api('/api/console/activity?member=nobody'))).entries).toEqual([])

    for (const query of ['member=%20x', 'action=DROP%20TABLE', 'before=-1', 'action=a&action=b', 'who=seller', `member=${'x'.repeat(65)}`]) {
      const response = await api(`/api/console/activity?${query}`)
      expect(response.status, query).toBe(400)
      expect((await errorBody(response)).id).toBe('bad_request')
    }
  })
})
