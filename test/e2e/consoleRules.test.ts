import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActivityLog, ReminderRulesRow, TeamRobot } from '../../server/entities'
import { chromiumForFile } from '../browser'
import { openConsole, seriousViolations } from '../consoleBrowser'
import { testDatabaseKind } from '../database'
import { startWecomHarness, type WecomHarness } from '../wecom'

const TEAM_ROBOT_KEY = '6a1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0'

const chromium = chromiumForFile()
let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true, teamRobotKeys: [TEAM_ROBOT_KEY] })
})
afterEach(() => harness.cleanup())

describe.runIf(chromium.enabled)(`提醒规则 in Chromium on ${testDatabaseKind}`, () => {
  it('changes the grace period, an interval per stage and the digest time, saved at once', async () => {
    const page = await openConsole(harness, chromium.browser, 'operator', { path: '/console/#/rules' })
    await page.getByRole('heading', { name: '提醒规则', level: 1 }).waitFor({ timeout: 15_000 })
    const grace = page.getByLabel('新客户宽限期（小时）')
    await expect.poll(() => grace.inputValue()).toBe('24')
    expect(await seriousViolations(page)).toEqual([])

    await grace.fill('48')
    await page.getByLabel('意向：默认间隔（天）').fill('3')
    await page.getByLabel('复购：默认间隔（天）').fill('30')
    await page.getByLabel('日报发送时间').fill('08:30')
    await page.getByRole('button', { name: '保存', exact: true }).click()
    await page.getByRole('status').filter({ hasText: '已保存' }).waitFor()
    expect(await harness.dataSource.getRepository(ReminderRulesRow).findOneByOrFail({ id: 1 })).toMatchObject({
      newCustomerGraceHours: 48,
      followUpDays: { 意向: 3, 复购: 30 },
      digestTime: '08:30',
    })

    // A refused value says why and changes nothing.
    await grace.fill('0')
    await page.getByRole('button', { name: '保存', exact: true }).click()
    await page.getByRole('alert').waitFor()
    expect((await harness.dataSource.getRepository(ReminderRulesRow).findOneByOrFail({ id: 1 })).newCustomerGraceHours).toBe(48)
  })

  it("sets a team's group robot from its webhook address, shows only its end, tests it and removes it", async () => {
    // The narrow window of WeCom's workbench.
    const page = await openConsole(harness, chromium.browser, 'operator', { path: '/console/#/rules', width: 420 })
    await page.getByRole('button', { name: '设置群机器人：周琳团队' }).click({ timeout: 15_000 })
    await page.getByLabel('周琳团队群机器人的 Webhook 地址').fill(`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${TEAM_ROBOT_KEY}`)
    await page.getByRole('button', { name: '保存', exact: true }).last().click()
    await page.getByText('••••e1f0').waitFor()
    expect(await page.content()).not.toContain(TEAM_ROBOT_KEY)
    expect((await harness.dataSource.getRepository(TeamRobot).findOneByOrFail({})).robotKey).toBe(TEAM_ROBOT_KEY)
    expect(await seriousViolations(page)).toEqual([])

    await page.getByRole('button', { name: '发送测试消息：周琳团队' }).click()
    await page.getByRole('status').filter({ hasText: '测试消息已发到周琳团队的群里' }).waitFor()
    expect(harness.simulator.robotMessages.map((m) => m.key)).toEqual([TEAM_ROBOT_KEY])

    await page.getByRole('button', { name: '删除群机器人：周琳团队' }).click()
    await page.getByRole('dialog').getByRole('button', { name: '删除' }).click()
    await page.getByRole('button', { name: '设置群机器人：周琳团队' }).waitFor()
    expect(await harness.dataSource.getRepository(TeamRobot).count()).toBe(0)
    const actions = (await harness.dataSource.getRepository(ActivityLog).find({ order: { id: 'ASC' } })).map((e) => e.action)
    expect(actions).toEqual(['team_robot_set', 'team_robot_removed'])
  })

  it('is not in a manager\'s navigation, and says 没有权限 to one who opens it', async () => {
    const page = await openConsole(harness, chromium.browser, 'manager', { path: '/console/#/rules' })
    await page.getByRole('navigation').getByRole('link', { name: '团队' }).waitFor({ timeout: 15_000 })
    expect(await page.getByRole('navigation').getByRole('link', { name: '提醒规则' }).count()).toBe(0)
    expect(await page.getByRole('alert').textContent()).toContain('没有权限')
    expect(await page.getByLabel('新客户宽限期（小时）').count()).toBe(0)
  })
})
