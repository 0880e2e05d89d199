import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConsoleMe, TeamMemberCustomers, TeamReport } from '../api/contract'
import { followUpStats } from '../bot/followUpStats'
import { ManagerLink, Member } from '../entities'
import { businessDate } from '../time'
import { errorBody, jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

const TZ = 'Asia/Shanghai'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(() => harness.cleanup())

// The test company (test/company.ts): manager manages seller, colleague and operator; the
// harness's server makes operator an operator; seller manages nobody.
const as = async (userid: string) => (await signedIn(harness, userid)).api

/** Makes colleague a second manager, of seller alone (as a console override would). */
async function colleagueManagesSeller() {
  const members = harness.dataSource.getRepository(Member)
  const [colleague, seller] = [await members.findOneByOrFail({ userid: 'colleague' }), await members.findOneByOrFail({ userid: 'seller' })]
  await harness.dataSource.getRepository(ManagerLink).insert({ memberId: seller.id, managerId: colleague.id, source: 'override' })
}

const CONSOLE_CALLS = [
  '/api/console/me',
  '/api/console/team',
  '/api/console/team?manager=manager',
  '/api/console/team?manager=all',
  '/api/console/team/trend',
  '/api/console/team/trend?manager=all',
  '/api/console/team/members/seller/customers',
]

describe(`the console API on ${testDatabaseKind}`, () => {
  it('answers 403 no_console_access to a member who is neither operator nor manager, on every call', async () => {
    const api = await as('seller')
    for (const path of CONSOLE_CALLS) {
      const response = await api(path)
      expect(response.status, path).toBe(403)
      expect((await errorBody(response)).id, path).toBe('no_console_access')
    }
  })

  it('answers 401 without a session', async () => {
    for (const path of CONSOLE_CALLS) expect((await fetch(`${harness.server!.url}${path}`)).status, path).toBe(401)
  })

  it('tells an operator and a manager their role and the teams they may open', async () => {
    await colleagueManagesSeller()
    const operator = await jsonBody<ConsoleMe>(await (await as('operator'))('/api/console/me'))
    expect(operator.role).toBe('operator')
    expect(operator.teams).toEqual([
      { managerUserid: 'colleague', managerName: '刘怡', members: 1 },
      { managerUserid: 'manager', managerName: '周琳', members: 3 },
    ])
    const manager = await jsonBody<ConsoleMe>(await (await as('manager'))('/api/console/me'))
    expect(manager).toMatchObject({ member: { userid: 'manager', name: '周琳' }, role: 'manager', teams: [{ managerUserid: 'manager', members: 3 }] })
  })

  it("shows a manager their team with the digest's figures for the same day, and the follow-ups each wrote this week", async () => {
    const seller = await signedIn(harness, 'seller')
    const written = await seller.api('/api/customers/wmChen/follow-ups', { method: 'POST', body: JSON.stringify({ note: '回访了' }) })
    expect(written.status).toBe(201)

    const report = await jsonBody<TeamReport>(await (await as('manager'))('/api/console/team'))
    const now = new Date()
    expect(report.date).toBe(businessDate(now, TZ))
    expect(report.manager).toEqual({ userid: 'manager', name: '周琳' })
    const digest = await followUpStats(harness.dataSource.manager, { date: report.date, timeZone: TZ, now })
    expect(report.members.map((m) => m.userid)).toEqual(['colleague', 'operator', 'seller'])
    for (const row of report.members) {
      const figures = [...digest.values()].find((d) => d.userid === row.userid)!
      expect(row, row.userid).toMatchObject({ customers: figures.live, overdue: figures.overdue, dueToday: figures.dueToday, newUnfollowed: figures.newUnfollowed, lostYesterday: figures.lostYesterday })
    }
    expect(report.members.find((m) => m.userid === 'seller')).toMatchObject({ customers: 5, followUpsLast7Days: 1 })
    expect(report.members.find((m) => m.userid === 'colleague')).toMatchObject({ customers: 4, followUpsLast7Days: 0 })
  })

  it("refuses a manager another manager's team and the whole company; an operator may open both", async () => {
    await colleagueManagesSeller()
    const colleague = await as('colleague')
    expect((await colleague('/api/console/team')).status).toBe(200)
    for (const path of ['/api/console/team?manager=manager', '/api/console/team?manager=all', '/api/console/team/trend?manager=manager', '/api/console/team/trend?manager=all']) {
      const response = await colleague(path)
      expect(response.status, path).toBe(403)
      expect((await errorBody(response)).id).toBe('forbidden')
    }
    const own = await jsonBody<TeamReport>(await colleague('/api/console/team'))
    expect(own.members.map((m) => m.userid)).toEqual(['seller'])

    const operator = await as('operator')
    const theirs = await jsonBody<TeamReport>(await operator('/api/console/team?manager=colleague'))
    expect(theirs.members.map((m) => m.userid)).toEqual(['seller'])
    const company = await jsonBody<TeamReport>(await operator('/api/console/team?manager=all'))
    expect(company.manager).toBeNull()
    expect(company.members.map((m) => m.userid)).toEqual(['colleague', 'manager', 'operator', 'seller'])
    expect((await operator('/api/console/team?manager=%20bad')).status).toBe(400)
  })

  it("lists a report's customers for their manager, the overdue first, and nobody else's", async () => {
    await colleagueManagesSeller()
    const manager = await as('manager')
    const list = await jsonBody<TeamMemberCustomers>(await manager('/api/console/team/members/seller/customers'))
    expect(list.member).toEqual({ userid: 'seller', name: '陈浩' })
    expect(list.customers.map((c) => c.externalUserid).sort()).toEqual(['wmBold', 'wmChen', 'wmLin', 'wmTony', 'wmXiaomei'])
    // Every one was added days ago and never followed up: all overdue, the longest waiting first.
    expect(list.customers.every((c) => c.overdue)).toBe(true)
    expect(list.customers[0]!.externalUserid).toBe('wmXiaomei')
    expect(list.customers.find((c) => c.externalUserid === 'wmXiaomei')!.remark).toBe('小美-老客')

    // Not a report of theirs: the same 404 as a member who does not exist.
    const colleague = await as('colleague')
    for (const path of ['/api/console/team/members/operator/customers', '/api/console/team/members/nobody/customers']) {
      const response = await colleague(path)
      expect(response.status, path).toBe(404)
    }
    expect((await manager('/api/console/team/members/manager/customers')).status).toBe(404)
    const operator = await as('operator')
    expect((await jsonBody<TeamMemberCustomers>(await operator('/api/console/team/members/manager/customers'))).customers.map((c) => c.externalUserid)).toEqual(['wmSun'])
  })
})
