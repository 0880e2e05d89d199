import { afterEach, describe, expect, it } from 'vitest'
import { FollowRelation, SyncCheckpoint } from '../entities'
import { testDatabaseKind } from '../../test/database'
import { runScript } from '../../test/processes'
import { callsTo, startWecomHarness, TEST_CREDENTIALS, type WecomHarness } from '../../test/wecom'
import type { SeedCompany } from '../../simulator'
import { fullSync, SyncInterrupted } from './fullSync'

let harness: WecomHarness | undefined
afterEach(async () => {
  await harness?.cleanup()
  harness = undefined
})

/** A company of 3 members and `customers` customers, each followed by one member. */
function company(customers: number): SeedCompany {
  const members = ['m1', 'm2', 'm3']
  return {
    users: members.map((userid) => ({ userid, name: userid, department: [1], customerContact: true })),
    tagGroups: [{ group_id: 'g1', group_name: '等级', tags: [{ id: 't1', name: '重要' }] }],
    customers: Array.from({ length: customers }, (_, i) => ({ external_userid: `wmC${i}`, name: `客户${i}` })),
    follows: Array.from({ length: customers }, (_, i) => ({ userid: members[i % 3]!, external_userid: `wmC${i}`, tagIds: i % 2 ? ['t1'] : [] })),
  }
}

const count = async (sql: string) => Number((await harness!.dataSource.query(sql))[0].n)

describe(`full sync on ${testDatabaseKind}`, () => {
  it('brings an empty database to WeCom’s truth, then finds nothing to change', async () => {
    harness = await startWecomHarness()
    const first = await fullSync(harness.dataSource, harness.wecom.client, { logger: harness.logger })
    expect(first).toMatchObject({ members: 4, resumed: false, customers: { created: 11, updated: 0, removed: 0 }, follows: { created: 12, updated: 0, removed: 0 } })
    // Three groups and their seven tags.
    expect(first.tags.created).toBe(10)
    expect(await count('SELECT COUNT(*) AS n FROM follow_tags')).toBe([...harness.simulator.company.followsByUser.values()].flatMap((byCustomer) => [...byCustomer.values()]).reduce((n, f) => n + f.tagIds.length, 0))

    const second = await fullSync(harness.dataSource, harness.wecom.client, { logger: harness.logger })
    expect(second).toMatchObject({ customers: { created: 0, updated: 0, removed: 0 }, follows: { created: 0, updated: 0, removed: 0 } })
    expect(second.tags).toEqual({ created: 0, updated: 0, removed: 0 })
  })

  it('repairs drift no callback told us of: API-made changes and removed follows', async () => {
    harness = await startWecomHarness()
    await fullSync(harness.dataSource, harness.wecom.client, { logger: harness.logger })
    // Through the API: WeCom sends no callback for these.
    await harness.wecom.client.call('markTag', { body: { userid: 'seller', external_userid: 'wmXiaomei', add_tag: ['etMakeup'] } })
    await harness.wecom.client.call('remark', { body: { userid: 'colleague', external_userid: 'wmUnicorn', remark: 'API改的备注' } })
    harness.simulator.company.removeFollow('operator', 'wmLily')

    const summary = await fullSync(harness.dataSource, harness.wecom.client, { logger: harness.logger })
    expect(summary.follows).toEqual({ created: 0, updated: 2, removed: 1 })
    const statuses: { status: string }[] = await harness.dataSource.query(
      "SELECT f.status FROM follow_relations f JOIN members m ON m.id = f.member_id JOIN customers c ON c.id = f.customer_id WHERE m.userid = 'operator' AND c.external_userid = 'wmLily'",
    )
    expect(statuses).toEqual([{ status: 'deleted_by_member' }])
  })

  it('resumes an interrupted sync where it stopped, and ends in the same state', async () => {
    harness = await startWecomHarness({ seed: company(450) })
    // One call covers up to 100 members: the 3 members' 450 follows are 5 pages of 100.
    const fullPages = 5
    await expect(fullSync(harness.dataSource, harness.wecom.client, { stopAfterPages: 3, concurrency: 1, logger: harness.logger })).rejects.toBeInstanceOf(SyncInterrupted)
    expect(await harness.dataSource.getRepository(SyncCheckpoint).count()).toBe(1)
    expect(callsTo(harness.simulator, '/cgi-bin/externalcontact/batch/get_by_user')).toHaveLength(3)

    const resumed = await fullSync(harness.dataSource, harness.wecom.client, { concurrency: 1, logger: harness.logger })
    expect(resumed.resumed).toBe(true)
    expect(callsTo(harness.simulator, '/cgi-bin/externalcontact/batch/get_by_user')).toHaveLength(fullPages)
    // Follow users and tags were read once, before the interruption (member details again, beside the pages).
    expect(callsTo(harness.simulator, '/cgi-bin/externalcontact/get_follow_user_list')).toHaveLength(1)
    expect(resumed.customers.created).toBe(450)
    expect(await harness.dataSource.getRepository(FollowRelation).countBy({ status: 'active' })).toBe(450)
    expect(await harness.dataSource.getRepository(SyncCheckpoint).count()).toBe(0)
    expect(await count('SELECT COUNT(*) AS n FROM follow_tags')).toBe(225)
  })

  it('keeps the pages written before a failed fetch, though the next page was asked for while they were written', async () => {
    harness = await startWecomHarness({ seed: company(450) })
    const pageCall = '/cgi-bin/externalcontact/batch/get_by_user'
    const pageCalls = () => callsTo(harness!.simulator, pageCall)
    // Time enough to see page 2 asked for, and to make page 3 fail before it is asked for.
    harness.simulator.setLatency(50)
    const failed = fullSync(harness.dataSource, harness.wecom.client, { concurrency: 1, logger: harness.logger })
    while (pageCalls().length < 2) await new Promise((resolve) => setTimeout(resolve, 1))
    harness.simulator.injectFault({ path: pageCall, errcode: 60011, times: 1 })
    await expect(failed).rejects.toThrow()
    harness.simulator.setLatency(0)

    // Pages 1 and 2 committed with their cursor: the checkpoint points at the page that failed.
    const failedCursor = (pageCalls()[2]!.body as { cursor: string }).cursor
    const [saved] = await harness.dataSource.getRepository(SyncCheckpoint).find()
    expect(JSON.parse(saved!.state).cursors).toEqual({ 0: failedCursor })
    expect(await harness.dataSource.getRepository(FollowRelation).countBy({ status: 'active' })).toBe(200)

    const resumed = await fullSync(harness.dataSource, harness.wecom.client, { concurrency: 1, logger: harness.logger })
    expect(resumed).toMatchObject({ resumed: true, customers: { created: 450 }, follows: { created: 450 } })
    expect(pageCalls()).toHaveLength(6)
    expect((pageCalls()[3]!.body as { cursor: string }).cursor).toBe(failedCursor)
    expect(await harness.dataSource.getRepository(FollowRelation).countBy({ status: 'active' })).toBe(450)
  })

  it('npm run sync and npm run job -- reconcile run against WeCom and print what they did', async () => {
    harness = await startWecomHarness()
    const url = harness.dataSource.options.type === 'mysql' ? (harness.dataSource.options as { url: string }).url : `sqlite:${harness.dataSource.options.database}`
    const env = {
      DATABASE_URL: url,
      WECOM_CORP_ID: TEST_CREDENTIALS.corpId,
      WECOM_AGENT_ID: String(TEST_CREDENTIALS.agentId),
      WECOM_SECRET: TEST_CREDENTIALS.secret,
      WECOM_TOKEN: TEST_CREDENTIALS.token,
      WECOM_AES_KEY: TEST_CREDENTIALS.aesKey,
      WECOM_API_BASE: harness.wecomConfig.apiBase,
      SESSION_SECRET: 'x'.repeat(40),
    }
    const sync = runScript('server/cli/sync.ts', { env })
    expect((await sync.exited).code, sync.output()).toBe(0)
    expect(sync.output()).toMatch(/customers\s+created 11, updated 0, removed 0/)
    expect(sync.output()).toMatch(/follows\s+created 12, updated 0, removed 0/)

    harness.simulator.company.removeFollow('colleague', 'wmUnicorn')
    const reconcile = runScript('server/cli/job.ts', { args: ['reconcile'], env })
    expect((await reconcile.exited).code, reconcile.output()).toBe(0)
    expect(reconcile.output()).toContain('follows +0 ~0 -1')

  })
})
