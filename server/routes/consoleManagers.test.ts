import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConsoleManagerList, ConsoleMe, ConsoleMemberManagers, TeamReport } from '../api/contract'
import { ActivityLog, ManagerLink, ManagerOverride } from '../entities'
import { errorBody, jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(() => harness.cleanup())

const as = async (userid: string) => (await signedIn(harness, userid)).api
const put = (managers: unknown) => ({ method: 'PUT', body: JSON.stringify({ managers }) })
const links = async () => (await harness.dataSource.getRepository(ManagerLink).find()).map((l) => `${l.memberId}>${l.managerId}:${l.source}`).sort()

// The test company (test/company.ts): 周琳 (manager) leads the sales department, so manages
// seller, colleague and operator; the harness makes operator an operator.
describe(`manager overrides on ${testDatabaseKind}`, () => {
  it("lists whom each member reports to, and moves a member to another manager until given back to WeCom's", async () => {
    const operator = await as('operator')
    const before = await jsonBody<ConsoleManagerList>(await operator('/api/console/managers'))
    expect(before.members.find((m) => m.userid === 'seller')).toEqual({ userid: 'seller', name: '陈浩', managers: [{ userid: 'manager', name: '周琳' }], overridden: false })

    const moved = await jsonBody<ConsoleMemberManagers>(await operator('/api/console/managers/seller', put(['colleague'])))
    expect(moved).toEqual({ userid: 'seller', name: '陈浩', managers: [{ userid: 'colleague', name: '刘怡' }], overridden: true })
    // Every reader of manager_links follows at once: 周琳's team loses 陈浩, 刘怡 becomes a manager.
    const team = await jsonBody<TeamReport>(await (await as('manager'))('/api/console/team'))
    expect(team.members.map((m) => m.userid)).toEqual(['colleague', 'operator'])
    const colleague = await jsonBody<ConsoleMe>(await (await as('colleague'))('/api/console/me'))
    expect(colleague).toMatchObject({ role: 'manager', teams: [{ managerUserid: 'colleague', members: 1 }] })

    const back = await jsonBody<ConsoleMemberManagers>(await operator('/api/console/managers/seller', put([])))
    expect(back).toEqual({ userid: 'seller', name: '陈浩', managers: [{ userid: 'manager', name: '周琳' }], overridden: false })
    expect(await harness.dataSource.getRepository(ManagerOverride).count()).toBe(0)

    const log = (await harness.dataSource.getRepository(ActivityLog).find({ order: { id: 'ASC' } })).filter((entry) => entry.action.startsWith('manager_override'))
    expect(log.map((entry) => [entry.action, JSON.parse(entry.detail)])).toEqual([
      ['manager_override_set', { member: 'seller', managers: ['colleague'] }],
      ['manager_override_cleared', { member: 'seller', managers: [] }],
    ])
  })

  it('refuses a member as their own manager, an unknown member and a malformed body, changing nothing', async () => {
    const operator = await as('operator')
    const linksBefore = await links()
    for (const [path, init, status] of [
      ['/api/console/managers/seller', put(['seller']), 400],
      ['/api/console/managers/seller', put(['nobody']), 400],
      ['/api/console/managers/nobody', put(['manager']), 400],
      ['/api/console/managers/seller', put('manager'), 400],
      ['/api/console/managers/seller', { method: 'PUT', body: '{"managers": [' }, 400],
      ['/api/console/managers/bad%20id', put([]), 404],
    ] as const) {
      const response = await operator(path, init)
      expect(response.status, `${path} ${init.body}`).toBe(status)
    }
    expect(await links()).toEqual(linksBefore)
    expect(await harness.dataSource.getRepository(ManagerOverride).count()).toBe(0)
  })

  it('is for operators: a manager gets 403 forbidden, anyone else 403 no_console_access', async () => {
    for (const [userid, id] of [
      ['manager', 'forbidden'],
      ['seller', 'no_console_access'],
    ] as const) {
      const api = await as(userid)
      for (const [path, init] of [
        ['/api/console/managers', {}],
        ['/api/console/managers/seller', put(['colleague'])],
      ] as const) {
        const response = await api(path, init)
        expect(response.status, `${userid} ${path}`).toBe(403)
        expect((await errorBody(response)).id).toBe(id)
      }
    }
    expect(await harness.dataSource.getRepository(ManagerOverride).count()).toBe(0)
  })
})
