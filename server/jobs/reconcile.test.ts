import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { testDatabaseKind } from '../../test/database'
import { callsTo, startWecomHarness, type WecomHarness } from '../../test/wecom'
import { JobRun, SyncRun } from '../entities'
import { startRecordedSync } from '../sync/syncRuns'
import { reconcileJob } from './reconcile'
import { runJob } from './runJob'

const DATE = '2026-03-01'
const FOLLOW_USERS = '/cgi-bin/externalcontact/get_follow_user_list'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ synced: true })
})
afterEach(() => harness.cleanup())

const runs = () => harness.dataSource.getRepository(SyncRun).find({ order: { id: 'ASC' } })
const reconcile = () => runJob(reconcileJob, harness.jobContext(), { date: DATE, dryRun: false })

describe(`the reconcile job on ${testDatabaseKind}`, () => {
  it('repairs drift in a full sync listed as the nightly reconcile', async () => {
    harness.simulator.company.removeFollow('colleague', 'wmUnicorn')
    const outcome = await reconcile()
    expect(outcome).toEqual({ status: 'done', summary: 'customers +0 ~0, follows +0 ~0 -1, tags +0 ~0 -0, waiting orders matched 0; channels gone from WeCom 0, finished 0, welcome images uploaded again 0' })
    const [run] = await runs()
    expect(run).toMatchObject({ origin: 'reconcile', actorMemberId: null, status: 'done', runningKey: null })
    expect(JSON.parse(run!.summary!)).toMatchObject({ follows: { created: 0, updated: 0, removed: 1 } })
  })

  it('skips while a sync is running, and leaves that one to repair the drift', async () => {
    harness.simulator.setLatency(50)
    const followUsersBefore = callsTo(harness.simulator, FOLLOW_USERS).length
    const consoleSync = await startRecordedSync(harness.dataSource, harness.wecom.client, { origin: 'console', actorMemberId: null, logger: harness.logger })
    if (!consoleSync.started) throw new Error('the console sync should have started')

    const outcome = await reconcile()
    expect(outcome).toEqual({ status: 'done', summary: `a full sync is already running (sync run #${consoleSync.run.id}); reconcile skipped tonight; channels gone from WeCom 0, finished 0, welcome images uploaded again 0` })
    expect(await harness.dataSource.getRepository(JobRun).findOneByOrFail({ job: 'reconcile' })).toMatchObject({ status: 'done', summary: outcome.summary })

    expect(await consoleSync.finished).toMatchObject({ status: 'done', summary: { members: 4 } })
    // One sync read WeCom: the console's.
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(followUsersBefore + 1)
    expect((await runs()).map((run) => [run.origin, run.status])).toEqual([['console', 'done']])
  })

  it('fails with the sync when WeCom refuses it, both recorded as failed', async () => {
    harness.simulator.injectFault({ path: FOLLOW_USERS, errcode: 60011 })
    await expect(reconcile()).rejects.toThrow(/60011/)
    expect(await harness.dataSource.getRepository(JobRun).findOneByOrFail({ job: 'reconcile' })).toMatchObject({ status: 'failed' })
    const [run] = await runs()
    expect(run).toMatchObject({ origin: 'reconcile', status: 'failed', runningKey: null })
    expect(run!.error).toContain('60011')
  })

  it('a dry run reads and writes nothing', async () => {
    const callsBefore = harness.simulator.calls.length
    const outcome = await runJob(reconcileJob, harness.jobContext(), { date: DATE, dryRun: true })
    expect(outcome.summary).toBe('dry run: reconcile would run a full sync and repair drift; nothing read or written')
    expect(harness.simulator.calls).toHaveLength(callsBefore)
    expect(await runs()).toEqual([])
  })
})
