import type { Page } from 'playwright-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addDays, businessDate } from '../../server/time'
import { chromiumForFile } from '../browser'
import { openConsole as openBrowserConsole, seriousViolations } from '../consoleBrowser'
import { testDatabaseKind } from '../database'
import { setNextFollowUp } from '../factories'
import { startWecomHarness, type WecomHarness } from '../wecom'

const chromium = chromiumForFile()
let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  // seller's wmChen is due today and wmLin tomorrow; every other customer was added days ago
  // and never followed up, so is overdue (SPEC §4.4).
  const today = businessDate(new Date(), 'Asia/Shanghai')
  await setNextFollowUp(harness.dataSource, 'wmChen', today)
  await setNextFollowUp(harness.dataSource, 'wmLin', addDays(today, 1))
})
afterEach(() => harness.cleanup())

const HEADERS = ['成员', '客户', '逾期', '今日到期', '新客未跟进', '昨日流失', '近7天跟进']
/** 周琳's reports (test/company.ts): name, 客户, 逾期, 今日到期. */
const MANAGER_TEAM = [
  ['刘怡', '4', '4', '0'],
  ['孙薇', '2', '2', '0'],
  ['陈浩', '5', '3', '1'],
]

const openConsole = (userid: string, options: { path?: string; width?: number } = {}) => openBrowserConsole(harness, chromium.browser, userid, options)

/** The 团队 table as the reader sees it: the first four cells of each row (name, 客户, 逾期, 今日到期). */
async function readTeam(page: Page): Promise<string[][]> {
  const rows = await page.getByRole('table').locator('tbody tr').all()
  return Promise.all(rows.map(async (row) => (await row.locator('th, td').allTextContents()).slice(0, 4).map((text) => text.trim())))
}

const columnHeaders = (page: Page) => page.getByRole('table').getByRole('columnheader').allTextContents()

describe.runIf(chromium.enabled)(`the console in Chromium on ${testDatabaseKind}`, () => {
  it('signs an operator in through OAuth and shows 周琳’s team, then the whole company', async () => {
    const page = await openConsole('operator', { path: '/console' })
    const navigation = page.getByRole('navigation')
    await expect.poll(() => navigation.getByRole('link').allTextContents(), { timeout: 15_000 }).toEqual(['团队', '话术库', '标签', '渠道活码', '提醒规则', '订单来源', '系统'])
    expect(await navigation.getByRole('link', { name: '团队' }).getAttribute('aria-current')).toBe('page')
    const url = new URL(page.url())
    expect(url.pathname).toBe('/console/')
    expect(url.searchParams.has('code')).toBe(false)
    expect(url.searchParams.has('state')).toBe(false)
    expect(url.hash).toBe('')
    expect(await page.getByText('当前登录：孙薇（operator）').count()).toBe(1)

    await expect.poll(() => columnHeaders(page), { timeout: 15_000 }).toEqual(HEADERS)
    expect(await readTeam(page)).toEqual(MANAGER_TEAM)

    const picker = page.getByLabel('查看团队')
    expect(await picker.locator('option').allTextContents()).toEqual(['全公司', '周琳 的团队（3 人）'])
    await picker.selectOption({ label: '全公司' })
    // The whole company: 周琳 too, with wmSun, whom she follows beside 孙薇.
    await expect.poll(() => readTeam(page)).toEqual([...MANAGER_TEAM.slice(0, 1), ['周琳', '1', '1', '0'], ...MANAGER_TEAM.slice(1)])
  })

  it('shows a manager their own team without a picker, and a report’s customers from their name', async () => {
    const page = await openConsole('manager')
    await expect.poll(() => columnHeaders(page), { timeout: 15_000 }).toEqual(HEADERS)
    expect(await readTeam(page)).toEqual(MANAGER_TEAM)
    expect(await page.getByLabel('查看团队').count()).toBe(0)
    expect(await page.getByRole('navigation').getByRole('link').allTextContents()).toEqual(['团队'])

    await page.getByRole('link', { name: '陈浩', exact: true }).click()
    expect(new URL(page.url()).hash).toBe('#/team/members/seller')
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('陈浩 的客户')
    expect(await page.getByRole('table').getByRole('columnheader').allTextContents()).toEqual(['客户', '阶段', '下次跟进'])
    const rows = page.getByRole('table').getByRole('row').filter({ has: page.getByRole('rowheader') })
    expect(await rows.count()).toBe(5)
    // The remark first, the WeCom name beside it; markup in either is shown as text.
    const xiaomei = rows.filter({ hasText: '小美-老客' })
    expect(await xiaomei.getByRole('rowheader').textContent()).toContain('🌸小美')
    expect(await xiaomei.getByText('已逾期').count()).toBe(1)
    const bold = rows.filter({ hasText: '<b>老客</b>' })
    expect(await bold.count()).toBe(1)
    expect(await bold.locator('b').count()).toBe(0)
    // Due today and tomorrow: not overdue, the date shown; the overdue come first.
    const today = businessDate(new Date(), 'Asia/Shanghai')
    const chen = rows.filter({ hasText: '陈先生' })
    expect(await chen.textContent()).toContain(today)
    expect(await chen.getByText('已逾期').count()).toBe(0)
    const overdue = await Promise.all((await rows.all()).map(async (row) => (await row.getByText('已逾期').count()) === 1))
    expect(overdue).toEqual([true, true, true, false, false])

    await page.getByRole('link', { name: '返回团队' }).click()
    await expect.poll(() => readTeam(page)).toEqual(MANAGER_TEAM)
  })

  it('tells a member who is neither an operator nor a manager 没有权限, and nothing else', async () => {
    const page = await openConsole('seller')
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('没有权限')
    expect(await page.getByText('当前登录：陈浩（seller）').count()).toBe(1)
    expect(await page.getByRole('navigation').count()).toBe(0)
    expect(await page.getByRole('table').count()).toBe(0)
    // Not even by address: the console's API refuses a report's customers too.
    await page.goto(`${harness.server!.url}/console/#/team/members/colleague`)
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('没有权限')
    expect(await page.getByText('阿珍🍵').count()).toBe(0)
  })

  it('fits a narrow window: the table scrolls in its own frame, the page does not', async () => {
    const page = await openConsole('manager', { width: 400 })
    await expect.poll(() => columnHeaders(page), { timeout: 15_000 }).toEqual(HEADERS)
    const widths = (await page.evaluate('({ page: document.documentElement.scrollWidth, window: innerWidth })')) as { page: number; window: number }
    expect(widths.page).toBeLessThanOrEqual(widths.window)
    expect(await page.getByRole('link', { name: '陈浩', exact: true }).isVisible()).toBe(true)
  })

  it('lets an operator move a member to another manager, and back to WeCom’s, the team following at once', async () => {
    const page = await openConsole('operator')
    await expect.poll(() => readTeam(page), { timeout: 15_000 }).toEqual(MANAGER_TEAM)
    const overrides = page.getByRole('region', { name: '调整主管' })
    await overrides.getByLabel('成员').selectOption('seller')
    expect(await overrides.getByText('现在的主管：周琳（来自企业微信）').count()).toBe(1)
    await overrides.getByLabel('主管').selectOption('colleague')
    await overrides.getByRole('button', { name: '保存主管' }).click()
    await expect.poll(() => overrides.getByRole('status').textContent()).toBe('已保存陈浩的主管。')
    expect(await overrides.getByText('现在的主管：刘怡（后台指定）').count()).toBe(1)
    // 周琳's team, still on show, no longer lists 陈浩; the picker counts 刘怡's new team at once.
    await expect.poll(() => readTeam(page)).toEqual(MANAGER_TEAM.filter(([name]) => name !== '陈浩'))
    await expect.poll(() => page.getByLabel('查看团队').locator('option').allTextContents()).toEqual(['全公司', '刘怡 的团队（1 人）', '周琳 的团队（2 人）'])
    expect(await seriousViolations(page)).toEqual([])

    await overrides.getByLabel('主管').selectOption('')
    await overrides.getByRole('button', { name: '保存主管' }).click()
    await expect.poll(() => overrides.getByText('现在的主管：周琳（来自企业微信）').count()).toBe(1)
    await expect.poll(() => readTeam(page)).toEqual(MANAGER_TEAM)
  })

  it('has no serious or critical axe-core violations on 团队 and a report’s customers, wide and narrow', async () => {
    for (const width of [1280, 400]) {
      const page = await openConsole('operator', { width })
      await expect.poll(() => columnHeaders(page), { timeout: 15_000 }).toEqual(HEADERS)
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('link', { name: '刘怡', exact: true }).click()
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('刘怡 的客户')
      expect(await seriousViolations(page)).toEqual([])
      await page.context().close()
    }
  })
})
