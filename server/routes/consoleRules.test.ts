import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConsoleRules, ConsoleRulesPage, ConsoleTeamRobot, FollowUp, FollowUpSuggestions, TeamReport } from '../api/contract'
import { query } from '../db/sql'
import { ActivityLog, ReminderRulesRow, TeamRobot } from '../entities'
import { addDays, businessDate } from '../time'
import { errorBody, jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

const TZ = 'Asia/Shanghai'
/** A key WeCom knows (the simulator takes it), and the webhook address its group settings show. */
const TEAM_ROBOT_KEY = '9f0c2a4e-51b7-4c1d-8a33-7d2e6b1f0a42'
const WEBHOOK = `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${TEAM_ROBOT_KEY}`

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true, teamRobotKeys: [TEAM_ROBOT_KEY] })
})
afterEach(() => harness.cleanup())

const as = async (userid: string) => (await signedIn(harness, userid)).api
const put = (body: unknown) => ({ method: 'PUT', body: JSON.stringify(body) })
const RULES: ConsoleRules = { newCustomerGraceHours: 48, followUpDays: { 意向: 3, 成交: 7 }, digestTime: '08:30' }

describe(`提醒规则 on ${testDatabaseKind}`, () => {
  it('starts with SPEC §4.4: 24 h of grace, no intervals, the digest at DIGEST_CRON; saves a change and logs what changed', async () => {
    const api = await as('operator')
    const first = await jsonBody<ConsoleRulesPage>(await api('/api/console/rules'))
    expect(first.rules).toEqual({ newCustomerGraceHours: 24, followUpDays: {}, digestTime: null })
    expect(first.configuredDigestCron).toBe('0 9 * * *')
    expect(first.companyRobot).toBe(false)
    expect(first.teamRobots).toEqual([{ manager: { userid: 'manager', name: '周琳' }, reports: 3, maskedKey: null, updatedAt: null }])

    expect(await jsonBody<ConsoleRules>(await api('/api/console/rules', put(RULES)))).toEqual(RULES)
    expect((await jsonBody<ConsoleRulesPage>(await api('/api/console/rules'))).rules).toEqual(RULES)
    // Saving the same again changes nothing, and logs nothing.
    await jsonBody(await api('/api/console/rules', put(RULES)))
    const log = await harness.dataSource.getRepository(ActivityLog).findBy({ action: 'reminder_rules_changed' })
    expect(log).toHaveLength(1)
    expect(JSON.parse(log[0]!.detail)).toEqual({
      newCustomerGraceHours: { from: 24, to: 48 },
      digestTime: { from: null, to: '08:30' },
      'followUpDays.意向': { from: null, to: 3 },
      'followUpDays.成交': { from: null, to: 7 },
    })
  })

  it('refuses rules out of range, changing nothing', async () => {
    const api = await as('operator')
    for (const body of [
      { ...RULES, newCustomerGraceHours: 0 },
      { ...RULES, newCustomerGraceHours: 721 },
      { ...RULES, newCustomerGraceHours: 1.5 },
      { ...RULES, followUpDays: { 意向: 0 } },
      { ...RULES, followUpDays: { 意向: 366 } },
      { ...RULES, followUpDays: { 沉睡: 3 } },
      { ...RULES, digestTime: '24:00' },
      { ...RULES, digestTime: '9:00' },
      { newCustomerGraceHours: 24 },
    ]) {
      const response = await api('/api/console/rules', put(body))
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect((await errorBody(response)).id).toBe('validation_failed')
    }
    expect((await jsonBody<ConsoleRulesPage>(await api('/api/console/rules'))).rules).toEqual({ newCustomerGraceHours: 24, followUpDays: {}, digestTime: null })
    expect(await harness.dataSource.getRepository(ActivityLog).countBy({ action: 'reminder_rules_changed' })).toBe(0)
  })

  it('is for operators: a manager gets 403 forbidden, a seller 403 no_console_access, no session 401; nothing changes', async () => {
    const calls = [
      ['/api/console/rules', { method: 'GET' }],
      ['/api/console/rules', put(RULES)],
      ['/api/console/robots/manager', put({ key: TEAM_ROBOT_KEY })],
      ['/api/console/robots/manager', { method: 'DELETE' }],
      ['/api/console/robots/manager/test', { method: 'POST' }],
    ] as const
    for (const [userid, id] of [['manager', 'forbidden'], ['seller', 'no_console_access']] as const) {
      const api = await as(userid)
      for (const [path, init] of calls) {
        const response = await api(path, init)
        expect(response.status, `${userid} ${init.method} ${path}`).toBe(403)
        expect((await errorBody(response)).id).toBe(id)
      }
    }
    for (const [path, init] of calls) expect((await fetch(`${harness.server!.url}${path}`, init)).status, path).toBe(401)
    expect(await harness.dataSource.getRepository(TeamRobot).count()).toBe(0)
    expect((await harness.dataSource.getRepository(ReminderRulesRow).findOneByOrFail({ id: 1 })).updatedAt).toBeNull()
  })

  it("keeps a team's robot from its pasted webhook address, shows only its end, tests it against WeCom and removes it; the key in no answer or log", async () => {
    const api = await as('operator')
    const saved = await jsonBody<ConsoleTeamRobot>(await api('/api/console/robots/manager', put({ key: ` ${WEBHOOK} ` })))
    expect(saved).toMatchObject({ manager: { userid: 'manager' }, maskedKey: '••••0a42' })
    expect((await harness.dataSource.getRepository(TeamRobot).findOneByOrFail({})).robotKey).toBe(TEAM_ROBOT_KEY)
    const page = await api('/api/console/rules')
    expect(await page.clone().text()).not.toContain(TEAM_ROBOT_KEY.slice(0, 8))
    expect((await jsonBody<ConsoleRulesPage>(page)).teamRobots[0]!.maskedKey).toBe('••••0a42')

    expect(await jsonBody(await api('/api/console/robots/manager/test', { method: 'POST' }))).toEqual({ sent: true })
    expect(harness.simulator.robotMessages.map((m) => [m.key, (m.body.markdown as { content: string }).content.split('\n')[0]])).toEqual([[TEAM_ROBOT_KEY, '**群机器人已接通**']])

    // A key WeCom does not know: saved (we cannot tell without sending), and the test says so.
    await jsonBody(await api('/api/console/robots/manager', put({ key: '00000000-0000-0000-0000-000000000000' })))
    const refused = await api('/api/console/robots/manager/test', { method: 'POST' })
    expect(refused.status).toBe(502)
    expect((await errorBody(refused)).id).toBe('wecom_refused')

    expect((await api('/api/console/robots/manager', { method: 'DELETE' })).status).toBe(204)
    expect((await jsonBody<ConsoleRulesPage>(await api('/api/console/rules'))).teamRobots[0]!.maskedKey).toBeNull()
    expect((await api('/api/console/robots/manager/test', { method: 'POST' })).status).toBe(404)

    const log = await harness.dataSource.getRepository(ActivityLog).find({ order: { id: 'ASC' } })
    expect(log.filter((e) => e.action.startsWith('team_robot_')).map((e) => e.action)).toEqual(['team_robot_set', 'team_robot_replaced', 'team_robot_removed'])
    for (const entry of log) expect(entry.detail).not.toContain(TEAM_ROBOT_KEY)
  })

  it('refuses what is not a robot, and a member with no team, changing nothing', async () => {
    const api = await as('operator')
    for (const key of ['hello', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send', 'https://example.com/?key=short', `${TEAM_ROBOT_KEY}<script>`]) {
      const response = await api('/api/console/robots/manager', put({ key }))
      expect(response.status, key).toBe(400)
      expect((await errorBody(response)).id).toBe('robot_key')
    }
    // seller manages nobody; nobody is nobody.
    for (const userid of ['seller', 'nobody']) expect((await api(`/api/console/robots/${userid}`, put({ key: TEAM_ROBOT_KEY }))).status).toBe(404)
    expect(await harness.dataSource.getRepository(TeamRobot).count()).toBe(0)
  })
})

describe(`the rules applied, on ${testDatabaseKind}`, () => {
  it('a longer grace keeps a customer added 30 hours ago new instead of overdue, in the team table at once', async () => {
    await query(harness.dataSource.manager, 'UPDATE follow_relations SET next_follow_up_on = NULL, last_followed_up_at = NULL, added_at = :addedAt', { addedAt: new Date(Date.now() - 30 * 3_600_000) })
    const api = await as('operator')
    const seller = async () => (await jsonBody<TeamReport>(await api('/api/console/team?manager=manager'))).members.find((m) => m.userid === 'seller')!
    const before = await seller()
    expect(before.overdue).toBeGreaterThan(0)
    expect(before.newUnfollowed).toBe(0)
    await jsonBody(await api('/api/console/rules', put(RULES)))
    expect(await seller()).toMatchObject({ overdue: 0, newUnfollowed: before.overdue })
  })

  it("a follow-up saved without a date gets its stage's interval, the sidebar told beforehand; with no interval, none", async () => {
    const today = businessDate(new Date(), TZ)
    const sellerApi = await as('seller')
    const suggestions = async () => jsonBody<FollowUpSuggestions>(await sellerApi('/api/follow-up-rules'))
    expect(await suggestions()).toEqual({ today, nextFollowUpOn: { 新客户: null, 意向: null, 成交: null, 复购: null, 流失: null } })

    await jsonBody(await (await as('operator'))('/api/console/rules', put(RULES)))
    expect((await suggestions()).nextFollowUpOn).toEqual({ 新客户: null, 意向: addDays(today, 3), 成交: addDays(today, 7), 复购: null, 流失: null })

    const follow = (body: unknown) => sellerApi('/api/customers/wmXiaomei/follow-ups', { method: 'POST', body: JSON.stringify(body) })
    // The stage given decides.
    expect((await jsonBody<FollowUp>(await follow({ note: '有意向', stage: '意向' }), 201)).nextFollowUpOn).toBe(addDays(today, 3))
    // No stage given: the follow's own (意向, now).
    expect((await jsonBody<FollowUp>(await follow({ note: '再聊' }), 201)).nextFollowUpOn).toBe(addDays(today, 3))
    // A date given wins; a stage without an interval sets none.
    expect((await jsonBody<FollowUp>(await follow({ note: '约好了', nextFollowUpOn: addDays(today, 1) }), 201)).nextFollowUpOn).toBe(addDays(today, 1))
    expect((await jsonBody<FollowUp>(await follow({ note: '流失了', stage: '流失' }), 201)).nextFollowUpOn).toBeNull()
    const [stored] = await query<{ stage: string; next_follow_up_on: string | null }>(
      harness.dataSource.manager,
      `SELECT f.stage, f.next_follow_up_on FROM follow_relations f JOIN customers c ON c.id = f.customer_id JOIN members m ON m.id = f.member_id
        WHERE c.external_userid = 'wmXiaomei' AND m.userid = 'seller'`,
    )
    expect(stored).toEqual({ stage: '流失', next_follow_up_on: null })
  })
})
