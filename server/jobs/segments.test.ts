import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { virtualClock } from '../../test/clock'
import { syncedCustomer } from '../../test/company'
import { buildOrder } from '../../test/factories'
import { callsTo, startWecomHarness, type WecomHarness } from '../../test/wecom'
import type { OrderStatus } from '../entities'
import { query } from '../db/sql'
import { fullSync } from '../sync/fullSync'
import { businessDate, addDays, startOfBusinessDay } from '../time'
import { runJob } from './runJob'
import { segmentOf, segmentsJob, type Segment } from './segments'

const TZ = 'Asia/Shanghai'
const DAY_MS = 86_400_000
const GROUP = '客户价值'
const ADD_CORP_TAG = '/cgi-bin/externalcontact/add_corp_tag'
const MARK_TAG = '/cgi-bin/externalcontact/mark_tag'

interface MarkTagBody {
  userid: string
  external_userid: string
  add_tag?: string[]
  remove_tag?: string[]
}

/** A completed shop order of the customer `externalUserid` (null: of nobody we know) paid at `paidAt`. */
async function addOrder(harness: WecomHarness, externalUserid: string | null, paidAt: Date, yuan: number, status: OrderStatus = 'completed') {
  const customer = externalUserid === null ? undefined : await syncedCustomer(harness.dataSource, externalUserid)
  await buildOrder(harness.dataSource, { customer, ...(customer ? {} : { externalUserid: 'wmNobody' }), status, paidAt, amountCents: yuan * 100 })
}

/**
 * Orders that put the test company's customers in known segments, with the 90-day and
 * 365-day edges on both sides; wmQuotes has none, so no segment.
 */
async function seedOrders(harness: WecomHarness, today: string): Promise<Record<string, Segment>> {
  const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS)
  const recentEdge = startOfBusinessDay(addDays(today, -90), TZ)
  const windowStart = startOfBusinessDay(addDays(today, -364), TZ)
  for (const days of [10, 20, 30]) await addOrder(harness, 'wmXiaomei', daysAgo(days), 800)
  for (const days of [20, 25]) await addOrder(harness, 'wmUnicorn', daysAgo(days), 100)
  // The order on the window's first instant counts: without it, wmBold would be 沉睡.
  for (const at of [daysAgo(120), daysAgo(150), windowStart]) await addOrder(harness, 'wmBold', at, 700)
  // Just before the window: counted for R only, so wmWu sleeps however much it spent then.
  for (let i = 0; i < 3; i++) await addOrder(harness, 'wmWu', new Date(windowStart.getTime() - 1), 5000)
  await addOrder(harness, 'wmChen', recentEdge, 50)
  await addOrder(harness, 'wmTony', new Date(recentEdge.getTime() - 1), 50)
  await addOrder(harness, 'wmLin', daysAgo(5), 3000, 'refunded')
  await addOrder(harness, 'wmLin', daysAgo(5), 3000, 'cancelled')
  await addOrder(harness, null, daysAgo(5), 3000)
  // One recent order each: 新客. wmSun is followed by operator and manager, so both follows are tagged.
  for (const [externalUserid, days] of [['wmLily', 12], ['wmSun', 15], ['wmZhen', 18]] as const) await addOrder(harness, externalUserid, daysAgo(days), 300)
  return { wmXiaomei: '重要价值', wmUnicorn: '活跃', wmBold: '重要保持', wmWu: '沉睡', wmChen: '新客', wmTony: '沉睡', wmLily: '新客', wmSun: '新客', wmZhen: '新客' }
}

const key = (userid: string, externalUserid: string) => `${userid}/${externalUserid}`

/** Every follow in the simulator with the names of its tags in the managed group (none: absent). */
function wecomSegments(harness: WecomHarness): Map<string, string[]> {
  const { company } = harness.simulator
  const group = company.groupByName(GROUP)
  const names = new Map(group ? company.tagsOfGroup(group.group_id).map((tag) => [tag.id, tag.name]) : [])
  const state = new Map<string, string[]>()
  for (const [externalUserid, byUser] of company.followsByCustomer) {
    for (const [userid, follow] of byUser) {
      const managed = follow.tagIds.flatMap((id) => names.get(id) ?? []).sort()
      if (managed.length > 0) state.set(key(userid, externalUserid), managed)
    }
  }
  return state
}

/** The same from our follow_tags. */
async function ourSegments(harness: WecomHarness): Promise<Map<string, string[]>> {
  const rows = await query<{ userid: string; external_userid: string; name: string }>(
    harness.dataSource.manager,
    `SELECT m.userid, c.external_userid, t.name
       FROM follow_tags ft
       JOIN tags t ON t.id = ft.tag_id
       JOIN tag_groups g ON g.id = t.group_id
       JOIN follow_relations f ON f.id = ft.follow_relation_id
       JOIN members m ON m.id = f.member_id
       JOIN customers c ON c.id = f.customer_id
      WHERE g.name = :group`,
    { group: GROUP },
  )
  const state = new Map<string, string[]>()
  for (const row of rows) state.set(key(row.userid, row.external_userid), [...(state.get(key(row.userid, row.external_userid)) ?? []), row.name].sort())
  return state
}

/** Each segmented customer's tag on every one of its follows in the simulator. */
function expectedSegments(harness: WecomHarness, segments: Record<string, Segment>): Map<string, string[]> {
  const state = new Map<string, string[]>()
  for (const [externalUserid, segment] of Object.entries(segments)) {
    for (const userid of harness.simulator.company.followsByCustomer.get(externalUserid)?.keys() ?? []) state.set(key(userid, externalUserid), [segment])
  }
  return state
}

/** Every follow's tags outside the managed group, which the job must leave alone. */
function otherTags(harness: WecomHarness): Map<string, string[]> {
  const { company } = harness.simulator
  const group = company.groupByName(GROUP)
  const managed = new Set(group ? company.tagsOfGroup(group.group_id).map((tag) => tag.id) : [])
  const state = new Map<string, string[]>()
  for (const [externalUserid, byUser] of company.followsByCustomer) {
    for (const [userid, follow] of byUser) state.set(key(userid, externalUserid), follow.tagIds.filter((id) => !managed.has(id)).sort())
  }
  return state
}

const segmentTagId = (harness: WecomHarness, name: string) => {
  const group = harness.simulator.company.groupByName(GROUP)!
  return harness.simulator.company.tagsOfGroup(group.group_id).find((tag) => tag.name === name)!.id
}

const markTagCalls = (harness: WecomHarness, from = 0) => callsTo(harness.simulator, MARK_TAG).slice(from).map((call) => call.body as MarkTagBody)

const count = async (harness: WecomHarness, table: string) =>
  Number((await query<{ n: number | string }>(harness.dataSource.manager, `SELECT COUNT(*) AS n FROM ${table}`))[0]!.n)

describe('the segments job', () => {
  let harness: WecomHarness
  let today: string
  let segments: Record<string, Segment>
  beforeEach(async () => {
    harness = await startWecomHarness({ synced: true })
    today = businessDate(new Date(), TZ)
    segments = await seedOrders(harness, today)
  })
  afterEach(async () => harness.cleanup())

  const run = (options: { rerunDone?: boolean } = {}) => {
    const context = harness.jobContext({ clock: virtualClock() })
    return runJob(segmentsJob, context, { date: today, dryRun: false, ...options }).then((outcome) => ({ ...outcome, printed: context.printed }))
  }

  it('creates the group in WeCom, tags exactly the segmented follows, and a second run touches nothing', async () => {
    expect(harness.simulator.company.groupByName(GROUP)).toBeUndefined()
    const untouched = otherTags(harness)

    const first = await run()
    expect(first.status).toBe('done')
    expect(first.summary).toBe('segments: 重要价值 1, 重要保持 1, 新客 4, 活跃 1, 沉睡 2; 10 follows changed, 0 failed')
    expect(first.printed).toContain(`segments: created the tag group ${GROUP}`)

    const [created] = callsTo(harness.simulator, ADD_CORP_TAG)
    expect(callsTo(harness.simulator, ADD_CORP_TAG)).toHaveLength(1)
    expect(created!.body).toMatchObject({ group_name: GROUP, tag: ['重要价值', '重要保持', '新客', '活跃', '沉睡'].map((name) => ({ name })) })
    const group = harness.simulator.company.groupByName(GROUP)!
    expect(harness.simulator.company.tagsOfGroup(group.group_id).map((tag) => tag.name).sort()).toEqual(['新客', '沉睡', '活跃', '重要价值', '重要保持'].sort())

    const expected = expectedSegments(harness, segments)
    // One mark_tag per follow that changed, adding its segment's tag and nothing else.
    const calls = markTagCalls(harness)
    expect(calls.map((body) => key(body.userid, body.external_userid)).sort()).toEqual([...expected.keys()].sort())
    for (const body of calls) expect(body).toEqual({ ...body, add_tag: [segmentTagId(harness, expected.get(key(body.userid, body.external_userid))![0]!)] })
    expect(calls.every((body) => body.remove_tag === undefined)).toBe(true)

    expect(wecomSegments(harness)).toEqual(expected)
    expect(await ourSegments(harness)).toEqual(expected)
    expect(otherTags(harness)).toEqual(untouched)
    // Our mirror has the group (the job refreshed it from WeCom) and nothing else changed there.
    expect(await count(harness, 'tag_groups')).toBe(4)

    const second = await run({ rerunDone: true })
    expect(second.summary).toBe('segments: 重要价值 1, 重要保持 1, 新客 4, 活跃 1, 沉睡 2; 0 follows changed, 0 failed')
    expect(callsTo(harness.simulator, ADD_CORP_TAG)).toHaveLength(1)
    expect(markTagCalls(harness)).toHaveLength(calls.length)
  })

  it('moves a customer whose segment changed: the old tag off and the new one on, in one call', async () => {
    await run()
    const before = callsTo(harness.simulator, MARK_TAG).length
    // wmLily orders twice more (重要价值); wmBold's orders are refunded (no segment).
    await addOrder(harness, 'wmLily', new Date(Date.now() - DAY_MS), 1000)
    await addOrder(harness, 'wmLily', new Date(Date.now() - 2 * DAY_MS), 1000)
    await query(harness.dataSource.manager, "UPDATE orders SET status = 'refunded' WHERE external_userid = :customer", { customer: 'wmBold' })

    const dry = harness.jobContext()
    const planned = await runJob(segmentsJob, dry, { date: today, dryRun: true })
    expect(planned.summary).toBe('dry run: segments: 重要价值 2, 重要保持 0, 新客 3, 活跃 1, 沉睡 2; 2 follows would change; nothing written')
    expect([...dry.printed].sort()).toEqual(['  operator · wmLily: +重要价值 -新客', '  seller · wmBold: -重要保持'])

    const second = await run({ rerunDone: true })
    expect(second.summary).toBe('segments: 重要价值 2, 重要保持 0, 新客 3, 活跃 1, 沉睡 2; 2 follows changed, 0 failed')
    const calls = markTagCalls(harness, before).sort((x, y) => x.external_userid.localeCompare(y.external_userid))
    expect(calls).toEqual([
      { userid: 'seller', external_userid: 'wmBold', remove_tag: [segmentTagId(harness, '重要保持')] },
      { userid: 'operator', external_userid: 'wmLily', add_tag: [segmentTagId(harness, '重要价值')], remove_tag: [segmentTagId(harness, '新客')] },
    ])
    const moved: Record<string, Segment> = { ...segments, wmLily: '重要价值' }
    delete moved.wmBold
    const expected = expectedSegments(harness, moved)
    expect(wecomSegments(harness)).toEqual(expected)
    expect(await ourSegments(harness)).toEqual(expected)
  })

  it('adds only the missing tags to an existing group and takes its other tags off', async () => {
    const { client } = harness.wecom
    const { tag_group: group } = await client.call('addCorpTag', { body: { group_name: GROUP, tag: [{ name: '重要价值' }, { name: '旧分层' }] } })
    const [valuable, old] = group.tag!
    await client.call('markTag', { body: { userid: 'seller', external_userid: 'wmXiaomei', add_tag: [valuable!.id] } })
    await client.call('markTag', { body: { userid: 'seller', external_userid: 'wmChen', add_tag: [old!.id] } })
    await client.call('markTag', { body: { userid: 'colleague', external_userid: 'wmQuotes', add_tag: [old!.id] } })
    await fullSync(harness.dataSource, client, { logger: harness.logger })
    const before = callsTo(harness.simulator, MARK_TAG).length

    const outcome = await run()
    // 10 segmented follows, one already right, and wmQuotes who has no segment.
    expect(outcome.summary).toBe('segments: 重要价值 1, 重要保持 1, 新客 4, 活跃 1, 沉睡 2; 10 follows changed, 0 failed')
    expect(callsTo(harness.simulator, ADD_CORP_TAG).at(-1)!.body).toEqual({
      group_id: group.group_id,
      tag: [{ name: '重要保持', order: 4 }, { name: '新客', order: 3 }, { name: '活跃', order: 2 }, { name: '沉睡', order: 1 }],
    })
    const calls = markTagCalls(harness, before)
    expect(calls).toHaveLength(10)
    expect(calls).toContainEqual({ userid: 'seller', external_userid: 'wmChen', add_tag: [segmentTagId(harness, '新客')], remove_tag: [old!.id] })
    expect(calls).toContainEqual({ userid: 'colleague', external_userid: 'wmQuotes', remove_tag: [old!.id] })
    expect(calls.some((body) => key(body.userid, body.external_userid) === key('seller', 'wmXiaomei'))).toBe(false)

    const expected = expectedSegments(harness, segments)
    expect(wecomSegments(harness)).toEqual(expected)
    expect(await ourSegments(harness)).toEqual(expected)
  })

  it('a dry run prints what it would do and calls and writes nothing', async () => {
    const tables = ['tag_groups', 'tags', 'follow_tags', 'activity_log', 'job_runs']
    const rows = await Promise.all(tables.map((table) => count(harness, table)))
    const calls = harness.simulator.calls.length

    const context = harness.jobContext()
    const outcome = await runJob(segmentsJob, context, { date: today, dryRun: true })
    expect(outcome.summary).toBe('dry run: segments: 重要价值 1, 重要保持 1, 新客 4, 活跃 1, 沉睡 2; 10 follows would change; nothing written')
    expect(context.printed[0]).toBe(`would create the tag group ${GROUP} with 重要价值, 重要保持, 新客, 活跃, 沉睡`)
    const expected = expectedSegments(harness, segments)
    const examples = context.printed.slice(1, -1)
    expect(examples).toHaveLength(5)
    for (const line of examples) {
      const [, userid, externalUserid, segment] = /^ {2}(\w+) · (\w+): \+(\S+)$/.exec(line)!
      expect(expected.get(key(userid!, externalUserid!))).toEqual([segment])
    }
    expect(context.printed.at(-1)).toBe('  … and 5 more')

    expect(harness.simulator.calls).toHaveLength(calls)
    expect(await Promise.all(tables.map((table) => count(harness, table)))).toEqual(rows)
  })

  it('a WeCom error on one follow leaves the others done and the run incomplete', async () => {
    // The customer deleted colleague in WeCom and we missed it: WeCom answers 84061 for that follow.
    harness.simulator.company.removeFollow('colleague', 'wmZhen')

    const first = await run()
    expect(first.status).toBe('failed')
    expect(first.summary).toBe('segments: 重要价值 1, 重要保持 1, 新客 4, 活跃 1, 沉睡 2; 9 follows changed, 1 failed')
    expect(first.printed.some((line) => line.includes('colleague · wmZhen: +新客 failed') && line.includes('84061'))).toBe(true)
    expect(markTagCalls(harness)).toHaveLength(10)

    // Every follow WeCom still has carries its tag, in WeCom and here; colleague's lost one carries none.
    const expected = expectedSegments(harness, segments)
    expect(expected.has(key('colleague', 'wmZhen'))).toBe(false)
    expect(wecomSegments(harness)).toEqual(expected)
    expect(await ourSegments(harness)).toEqual(expected)

    // The next run tries the failed follow alone.
    const again = await run({ rerunDone: true })
    expect(again.summary).toMatch(/; 0 follows changed, 1 failed$/)
    expect(markTagCalls(harness)).toHaveLength(11)
  })

  it('stops sending when the claim is lost mid-run; what was sent stays recorded', async () => {
    const controller = new AbortController()
    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/mark_tag', latencyMs: 200 })
    const running = segmentsJob.run({ ...harness.jobContext(), signal: controller.signal }, { date: today, dryRun: false })
    while (markTagCalls(harness).length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    controller.abort()
    const result = await running
    expect(result.complete).toBe(false)
    const [, changed, notTried] = /; (\d+) follows changed, 0 failed, (\d+) not tried \(claim lost\)$/.exec(result.summary) ?? []
    // The calls already on their way finish (four at a time); no new one starts.
    expect(Number(changed)).toBe(markTagCalls(harness).length)
    expect(Number(changed)).toBeLessThanOrEqual(4)
    expect(Number(changed) + Number(notTried)).toBe(10)
  })

  it('waits out a 45009 minute and goes on, instead of failing the follow', async () => {
    // The client waits out the block on the run's clock.
    const clock = virtualClock()
    await harness.cleanup()
    harness = await startWecomHarness({ synced: true, clock })
    segments = await seedOrders(harness, today)
    await run()
    // One follow to change: wmLily becomes 重要价值.
    await addOrder(harness, 'wmLily', new Date(Date.now() - DAY_MS), 1000)
    await addOrder(harness, 'wmLily', new Date(Date.now() - 2 * DAY_MS), 1000)
    const before = callsTo(harness.simulator, MARK_TAG).length
    // Two blocks in a row: the client waits out each, as long as a background call may wait.
    harness.simulator.injectFault({ path: MARK_TAG, errcode: 45009, times: 2 })
    clock.slept.length = 0
    const result = await segmentsJob.run({ ...harness.jobContext({ clock }), signal: new AbortController().signal }, { date: today, dryRun: false })
    expect(result).toMatchObject({ complete: true })
    expect(result.summary).toMatch(/; 1 follows changed, 0 failed$/)
    expect(clock.slept).toEqual([60_000, 60_000])
    expect(callsTo(harness.simulator, MARK_TAG).length - before).toBe(3)
  })

  it('leaves WeCom alone when the run lost its claim', async () => {
    const context = { ...harness.jobContext(), signal: AbortSignal.abort() }
    const result = await segmentsJob.run(context, { date: today, dryRun: false })
    expect(result).toEqual({ summary: 'segments: 重要价值 1, 重要保持 1, 新客 4, 活跃 1, 沉睡 2; nothing changed (claim lost)', complete: false })
    expect(markTagCalls(harness)).toHaveLength(0)
    expect(harness.simulator.calls.filter((call) => call.path === '/cgi-bin/externalcontact/add_corp_tag')).toHaveLength(0)
  })
})

describe('segment rules', () => {
  it('puts each customer in the first segment whose rule holds', () => {
    const valuable = { frequency: 3, monetaryCents: 200_000 }
    expect(segmentOf({ recencyDays: 90, ...valuable })).toBe('重要价值')
    expect(segmentOf({ recencyDays: 91, ...valuable })).toBe('重要保持')
    expect(segmentOf({ recencyDays: 0, frequency: 3, monetaryCents: 199_999 })).toBe('活跃')
    expect(segmentOf({ recencyDays: 0, frequency: 2, monetaryCents: 900_000 })).toBe('活跃')
    expect(segmentOf({ recencyDays: 90, frequency: 1, monetaryCents: 900_000 })).toBe('新客')
    expect(segmentOf({ recencyDays: 91, frequency: 1, monetaryCents: 100 })).toBe('沉睡')
    expect(segmentOf({ recencyDays: 400, frequency: 0, monetaryCents: 0 })).toBe('沉睡')
  })
})
