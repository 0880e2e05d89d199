import type { Page } from 'playwright-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ChannelRequest, ConsoleChannel } from '../../server/api/contract'
import { query } from '../../server/db/sql'
import { Channel } from '../../server/entities'
import { addDays, businessDate, zonedInstant } from '../../server/time'
import { jsonBody } from '../app'
import { chromiumForFile } from '../browser'
import { signedIn } from '../browserSession'
import { syncedCustomer } from '../company'
import { openConsole, seriousViolations } from '../consoleBrowser'
import { testDatabaseKind } from '../database'
import { buildOrder } from '../factories'
import { startWecomHarness, type WecomHarness } from '../wecom'

const TIME_ZONE = 'Asia/Shanghai'
/** How long ago 老客 arrived: inside the last 30 days, outside the last 7, and old enough for 7日留存. */
const OLD_ARRIVAL_DAYS_AGO = 10

const chromium = chromiumForFile()
let harness: WecomHarness
let today: string
/** What the scripts of the pages opened have logged as errors (a refusal by the CSP among them) or thrown. */
let pageErrors: string[]
const daysAgo = (days: number) => addDays(today, -days)

async function makeChannel(name: string, platform: ChannelRequest['platform']): Promise<ConsoleChannel> {
  const { api } = await signedIn(harness, 'operator')
  const body: ChannelRequest = { name, platform, members: ['seller'], skipVerify: true, tagIds: [], welcome: { text: null, link: null, imageId: null }, note: '' }
  return jsonBody<ConsoleChannel>(await api('/api/console/channels', { method: 'POST', body: JSON.stringify(body) }), 201)
}

/** A customer scans the channel's QR code and adds its member, as WeCom tells us. */
async function arrives(through: ConsoleChannel, externalUserid: string) {
  const { configId } = await harness.dataSource.getRepository(Channel).findOneByOrFail({ id: through.id })
  await harness.simulator.customerScansContactWay({ configId: configId!, customer: { external_userid: externalUserid, name: externalUserid } })
  await harness.drainInbox()
}
/** Changes the follow of the customer `externalUserid` as time would have: `set` is SQL with named parameters. */
const changeFollow = (externalUserid: string, set: string, parameters: Record<string, unknown>) =>
  query(harness.dataSource.manager, `UPDATE follow_relations SET ${set} WHERE customer_id = (SELECT id FROM customers WHERE external_userid = :externalUserid)`, { ...parameters, externalUserid })

beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  today = businessDate(new Date(), TIME_ZONE)
  pageErrors = []
  const [douyin, store] = [await makeChannel('抖音直播间', '抖音'), await makeChannel('门店海报', '门店')]
  // 抖音直播间: two arrive today, one of whom pays 120.00, and 老客 arrived ten days ago and stays.
  await arrives(douyin, 'wmFigToday1')
  await arrives(douyin, 'wmFigToday2')
  await arrives(douyin, 'wmFigOld')
  await changeFollow('wmFigOld', 'added_at = :addedAt', { addedAt: zonedInstant(daysAgo(OLD_ARRIVAL_DAYS_AGO), '10:00', TIME_ZONE) })
  await buildOrder(harness.dataSource, { customer: await syncedCustomer(harness.dataSource, 'wmFigToday1'), amountCents: 12_000, paidAt: new Date(Date.now() + 1_000) })
  // 门店海报: one arrives today and deletes the member again.
  await arrives(store, 'wmFigStore')
  await changeFollow('wmFigStore', "status = 'deleted_by_customer', status_changed_at = :at", { at: new Date() })
})
afterEach(() => harness.cleanup())

const channelTable = (page: Page) => page.getByRole('table', { name: /各渠道的数据$/ })
const platformTable = (page: Page) => page.getByRole('table', { name: /各平台合计$/ })
const daysTable = (page: Page) => page.getByRole('table', { name: /每天经渠道新增与流失的客户/ })
const chart = (page: Page) => page.getByRole('img', { name: /^每日新增与流失图/ })
const csvLink = (page: Page) => page.getByRole('link', { name: '导出 CSV' })

/** A table's row as the reader sees it: the row header's text, then each cell's. */
async function row(page: Page, table: ReturnType<typeof channelTable>, header: string): Promise<string[]> {
  const cells = await table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: header, exact: true }) }).locator('th, td').allTextContents()
  return cells.map((cell) => cell.trim())
}

async function openFigures(width = 1280): Promise<Page> {
  const page = await openConsole(harness, chromium.browser, 'operator', { path: '/console/#/channels', width })
  // Not an answer's status (sign-in starts from a 401): what a script did or was refused.
  page.on('console', (message) => void (message.type() === 'error' && !message.text().startsWith('Failed to load resource') && pageErrors.push(message.text())))
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await chart(page).locator('canvas').waitFor({ timeout: 15_000 })
  return page
}

describe.runIf(chromium.enabled)(`渠道活码's figures in Chromium on ${testDatabaseKind}`, () => {
  it('shows the last 30 days per channel, per platform, on the cards and by day, exports them, and follows the range picked', async () => {
    const page = await openFigures()
    expect(await page.getByLabel('开始日期').inputValue()).toBe(daysAgo(29))
    expect(await page.getByLabel('结束日期').inputValue()).toBe(today)
    expect(await channelTable(page).getByRole('columnheader').allTextContents()).toEqual(['渠道', '平台', '新增客户', '流失客户', '净增', '7日留存', '30日留存', '成交客户', '成交金额（元）', '每位新客成交（元）'])
    expect(await row(page, channelTable(page), '抖音直播间')).toEqual(['抖音直播间', '抖音', '3', '0', '3', '100.0%', '—', '1', '120.00', '40.00'])
    expect(await row(page, channelTable(page), '门店海报')).toEqual(['门店海报', '门店', '1', '1', '0', '—', '—', '0', '0.00', '0.00'])
    expect(await platformTable(page).getByRole('columnheader').allTextContents()).toEqual(['平台', '新增客户', '流失客户', '净增', '7日留存', '30日留存', '成交客户', '成交金额（元）', '每位新客成交（元）'])
    expect(await row(page, platformTable(page), '抖音')).toEqual(['抖音', '3', '0', '3', '100.0%', '—', '1', '120.00', '40.00'])
    expect(await row(page, platformTable(page), '门店')).toEqual(['门店', '1', '1', '0', '—', '—', '0', '0.00', '0.00'])

    // Each card: its own few figures for the same range.
    const card = page.getByRole('article', { name: '抖音直播间' })
    expect((await card.textContent())!.replace(/\s+/g, '')).toContain(`${daysAgo(29)}至${today}新增3净增3成交金额120.00元`)

    // The chart, and its table alternative.
    expect(await chart(page).getAttribute('aria-label')).toContain('共新增客户 4 位，流失客户 1 位')
    expect((await chart(page).locator('canvas').boundingBox())!.height).toBeGreaterThan(150)
    await page.getByText('以表格查看').click()
    expect(await daysTable(page).locator('tbody tr').count()).toBe(30)
    expect(await row(page, daysTable(page), today)).toEqual([today, '3', '1'])
    expect(await row(page, daysTable(page), daysAgo(OLD_ARRIVAL_DAYS_AGO))).toEqual([daysAgo(OLD_ARRIVAL_DAYS_AGO), '1', '0'])

    // 导出 CSV: the same range, and the page's session downloads it.
    const href = await csvLink(page).getAttribute('href')
    expect(href).toBe(`/api/console/channels/stats.csv?from=${daysAgo(29)}&to=${today}`)
    const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href!)
    expect(csv).toContain('"抖音直播间","抖音","3","0","3","100.0%","","1","120.00","40.00"')
    expect(await seriousViolations(page)).toEqual([])

    // 近7天: 老客 falls outside; the tables, the card, the chart and the link follow.
    await page.getByRole('button', { name: '近7天' }).click()
    await expect.poll(() => row(page, channelTable(page), '抖音直播间')).toEqual(['抖音直播间', '抖音', '2', '0', '2', '—', '—', '1', '120.00', '60.00'])
    expect(await page.getByRole('button', { name: '近7天' }).getAttribute('aria-pressed')).toBe('true')
    expect(await page.getByLabel('开始日期').inputValue()).toBe(daysAgo(6))
    expect(await csvLink(page).getAttribute('href')).toBe(`/api/console/channels/stats.csv?from=${daysAgo(6)}&to=${today}`)
    expect((await card.textContent())!.replace(/\s+/g, '')).toContain(`${daysAgo(6)}至${today}新增2净增2`)
    expect(await daysTable(page).locator('tbody tr').count()).toBe(7)
    expect(await chart(page).getAttribute('aria-label')).toContain('共新增客户 3 位')

    // Dates typed in: the day 老客 arrived, and the day before.
    await page.getByLabel('开始日期').fill(daysAgo(OLD_ARRIVAL_DAYS_AGO + 1))
    await page.getByLabel('结束日期').fill(daysAgo(OLD_ARRIVAL_DAYS_AGO))
    await expect.poll(() => row(page, channelTable(page), '抖音直播间')).toEqual(['抖音直播间', '抖音', '1', '0', '1', '100.0%', '—', '0', '0.00', '0.00'])
    expect(await daysTable(page).locator('tbody tr').count()).toBe(2)
    expect(await page.getByRole('button', { name: '近7天' }).getAttribute('aria-pressed')).toBe('false')

    // A start after the end is said, not asked for: the figures on show stay those of their range.
    await page.getByLabel('开始日期').fill(today)
    await page.getByRole('alert').filter({ hasText: '开始日期不能晚于结束日期' }).waitFor()
    expect(await csvLink(page).getAttribute('href')).toBe(`/api/console/channels/stats.csv?from=${daysAgo(OLD_ARRIVAL_DAYS_AGO + 1)}&to=${daysAgo(OLD_ARRIVAL_DAYS_AGO)}`)
    expect(pageErrors).toEqual([])
  })

  it('fits a narrow window, its tables scrolling in their frames', async () => {
    const page = await openFigures(420)
    await page.getByText('以表格查看').click()
    await daysTable(page).waitFor()
    const widths = (await page.evaluate('({ page: document.documentElement.scrollWidth, window: innerWidth })')) as { page: number; window: number }
    expect(widths.page).toBeLessThanOrEqual(widths.window)
    expect((await chart(page).locator('canvas').boundingBox())!.width).toBeLessThan(420)
    expect(await seriousViolations(page)).toEqual([])
    expect(pageErrors).toEqual([])
  })
})
