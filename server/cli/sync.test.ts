import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SyncRun } from '../entities'
import { newOwner } from '../processIdentity'
import { testDatabaseKind } from '../../test/database'
import { runScript } from '../../test/processes'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness()
})
afterEach(() => harness.cleanup())

/** `npm run sync`, run to its end. */
async function npmRunSync() {
  const run = runScript('server/cli/sync.ts', { env: harness.commandEnv() })
  const { code } = await run.exited
  return { code, output: run.output() }
}

const runs = () => harness.dataSource.getRepository(SyncRun).find({ order: { id: 'ASC' } })

describe(`npm run sync on ${testDatabaseKind}`, () => {
  it('syncs with a line per stage on a pipe, prints the summary, and is listed as a sync from the command line', async () => {
    const { code, output } = await npmRunSync()
    expect(code, output).toBe(0)
    for (const stage of ['标签…', '成员…', '客户…', '清理…']) expect(output).toContain(stage)
    expect(output).toMatch(/^Sync finished in \d+\.\d s$/m)
    expect(output).toMatch(/^ {2}customers {2}created 11, updated 0, removed 0$/m)

    const [run] = await runs()
    expect(run).toMatchObject({ origin: 'cli', actorMemberId: null, status: 'done', runningKey: null, error: null })
    expect(JSON.parse(run!.summary!)).toMatchObject({ members: 4, customers: { created: 11 }, follows: { created: 12 } })
    expect(JSON.parse(run!.progress)).toMatchObject({ members: { done: 4, total: 4 }, removals: { done: 1, total: 1 } })
  })

  it('refuses while another process holds a running sync: exit 1, the reason, and nothing synced', async () => {
    // A console sync of a live process (this one), its lease current.
    const startedAt = new Date('2026-03-01T02:00:00.000Z')
    const { identifiers } = await harness.dataSource.getRepository(SyncRun).insert({
      origin: 'console', actorMemberId: null, status: 'running', runningKey: 'full-sync', claimedBy: newOwner(), startedAt, leaseUntil: new Date(Date.now() + 60_000), progress: '{}',
    })
    const { code, output } = await npmRunSync()
    expect(code, output).toBe(1)
    expect(output).toContain(
      `A full sync is already running (sync run #${identifiers[0]!.id}, started 2026-03-01T02:00:00.000Z from the console); wait for it to finish, or watch it on the console's 系统 page.`,
    )
    expect(output).not.toContain('Sync finished')
    expect(harness.simulator.calls).toEqual([])
    expect((await runs()).map((run) => [run.origin, run.status])).toEqual([['console', 'running']])
  })

  it('records a sync that WeCom refused as failed, says how to resume, and exits 1', async () => {
    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/get_follow_user_list', errcode: 60011 })
    const { code, output } = await npmRunSync()
    expect(code, output).toBe(1)
    expect(output).toMatch(/^Sync stopped: .*60011.*\nRun npm run sync again to resume where it stopped\.$/m)
    const [run] = await runs()
    expect(run).toMatchObject({ origin: 'cli', status: 'failed', runningKey: null, summary: null })
    expect(run!.error).toContain('60011')

    // The next run is not held up by the failed one.
    harness.simulator.clearFaults()
    expect((await npmRunSync()).code).toBe(0)
    expect((await runs()).map((r) => r.status)).toEqual(['failed', 'done'])
  })
})
