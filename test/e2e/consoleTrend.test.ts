import type { Page } from 'playwright-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FollowRelation, FollowUp, Member, MemberDailyFigure } from '../../server/entities'
import { addDays, businessDate, startOfBusinessDay } from '../../server/time'
import { chromiumForFile } from '../browser'
import { syncedCustomer } from '../company'
import { openConsole, seriousViolations } from '../consoleBrowser'
import { testDatabaseKind } from '../database'
import { startWecomHarness, type WecomHarness } from '../wecom'

const TIME_ZONE = 'Asia/Shanghai'
const HOUR_MS = 3_600_000
/** A past day the team-figures job did not record (no process was up): a gap. */
const UNRECORDED_DAYS_AGO = 5
/** 周琳 is nobody's report: her overdue counts for the whole company, not for her team. */
const MANAGER_OVERDUE = 50

const chromium = chromiumForFile()
let harness: WecomHarness
let today: string
/** What the scripts of the pages opened have logged as errors (a refusal by the CSP among them) or thrown. */
let pageErrors: string[]
const daysAgo = (days: number) => addDays(today, -days)
/** The team's overdue as recorded for a past day: 陈浩's and 刘怡's rows below. */
const recordedTeamOverdue = (days: number) => (days % 4) + 1

beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  today = businessDate(new Date(), TIME_ZONE)
  pageErrors = []
  const { dataSource } = harness
  const member = (userid: string) => dataSource.getRepository(Member).findOneByOrFail({ userid })
  const [seller, colleague, manager] = await Promise.all([member('seller'), member('colleague'), member('manager')])

  // Follow-ups: 陈浩 3 three days ago and 1 today, 刘怡 2 twelve days ago.
  const followOf = (author: Member) => dataSource.getRepository(FollowRelation).findOneByOrFail({ memberId: author.id })
  const [sellerFollow, colleagueFollow] = await Promise.all([followOf(seller), followOf(colleague)])
  const writtenOn = (date: string) => new Date(startOfBusinessDay(date, TIME_ZONE).getTime() + HOUR_MS)
  const followUp = (follow: FollowRelation, createdAt: Date) => ({ followRelationId: follow.id, authorMemberId: follow.memberId, note: '回访', nextFollowUpOn: null, stage: null, createdAt })
  await dataSource.getRepository(FollowUp).insert([
    ...Array.from({ length: 3 }, () => followUp(sellerFollow, writtenOn(daysAgo(3)))),
    followUp(sellerFollow, new Date()),
    ...Array.from({ length: 2 }, () => followUp(colleagueFollow, writtenOn(daysAgo(12)))),
  ])

  // wmTony, whom 陈浩 added five days ago (test/company.ts), deleted him three days ago.
  const tony = await syncedCustomer(dataSource, 'wmTony')
  await dataSource.getRepository(FollowRelation).update({ customerId: tony.id }, { status: 'deleted_by_customer', statusChangedAt: writtenOn(daysAgo(3)) })

  // Overdue at each past day's end, as the team-figures job records it, but for one day.
  const figures = Array.from({ length: 29 }, (_, i) => i + 1)
    .filter((days) => days !== UNRECORDED_DAYS_AGO)
    .flatMap((days) => {
      const date = daysAgo(days)
      const recordedAt = startOfBusinessDay(addDays(date, 1), TIME_ZONE)
      return [
        { businessDate: date, memberId: seller.id, overdue: days % 4, recordedAt },
        { businessDate: date, memberId: colleague.id, overdue: 1, recordedAt },
        { businessDate: date, memberId: manager.id, overdue: MANAGER_OVERDUE, recordedAt },
      ]
    })
  await dataSource.getRepository(MemberDailyFigure).insert(figures)
})
afterEach(() => harness.cleanup())

const teamTable = (page: Page) => page.getByRole('table', { name: /的跟进数据/ })
const trendTable = (page: Page) => page.getByRole('table', { name: /每天的跟进与客户变化/ })
const chart = (page: Page) => page.getByRole('img', { name: /^近30天趋势图/ })

/** The sum of the team table's 逾期 column (its third cell). */
async function teamOverdueTotal(page: Page): Promise<number> {
  const cells = await teamTable(page).locator('tbody tr > :nth-child(3)').allTextContents()
  expect(cells.length).toBeGreaterThan(0)
  return cells.reduce((total, cell) => total + Number(cell.trim()), 0)
}

/** The trend table's rows as the reader sees them: 日期, 跟进次数, 日终逾期, 新增客户, 流失客户. */
async function readTrend(page: Page): Promise<Map<string, string[]>> {
  const rows = await trendTable(page).locator('tbody tr').all()
  const cells = await Promise.all(rows.map(async (row) => (await row.locator('th, td').allTextContents()).map((text) => text.trim())))
  return new Map(cells.map(([date, ...figures]) => [date!, figures]))
}

/** Opens 团队 and, once the chart is drawn, its table alternative. */
async function openTrend(userid: string, width = 1280): Promise<Page> {
  const page = await openConsole(harness, chromium.browser, userid, { width })
  // Not an answer's status (sign-in starts from a 401): what a script did or was refused.
  page.on('console', (message) => void (message.type() === 'error' && !message.text().startsWith('Failed to load resource') && pageErrors.push(message.text())))
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await chart(page).locator('canvas').waitFor({ timeout: 15_000 })
  await page.getByText('以表格查看').click()
  await trendTable(page).waitFor()
  return page
}

describe.runIf(chromium.enabled)(`团队's 30-day trend in Chromium on ${testDatabaseKind}`, () => {
  it('draws the team’s 30 days and tells them in a table, today’s overdue being the team table’s so far', async () => {
    const page = await openTrend('manager')
    expect(await chart(page).getAttribute('aria-label')).toContain('以表格查看')
    const canvas = await chart(page).locator('canvas').boundingBox()
    expect(canvas!.width).toBeGreaterThan(600)
    expect(canvas!.height).toBeGreaterThan(200)
    expect(await trendTable(page).getByRole('columnheader').allTextContents()).toEqual(['日期', '跟进次数', '日终逾期', '新增客户', '流失客户'])

    const trend = await readTrend(page)
    expect([...trend.keys()]).toEqual(Array.from({ length: 30 }, (_, i) => daysAgo(29 - i)))
    expect(trend.get(daysAgo(3))).toEqual(['3', String(recordedTeamOverdue(3)), '0', '1'])
    expect(trend.get(daysAgo(12))).toEqual(['2', String(recordedTeamOverdue(12)), '1', '0'])
    // 陈浩 added wmTony that day (test/company.ts); nothing recorded the day's end.
    expect(trend.get(daysAgo(UNRECORDED_DAYS_AGO))).toEqual(['0', '—', '1', '0'])
    expect(await page.getByText('—：未记录，当天没有服务在运行。').isVisible()).toBe(true)
    const overdueNow = `${await teamOverdueTotal(page)}（截至现在）`
    expect(trend.get(today)).toEqual(['1', overdueNow, '0', '0'])
    // Today's point, at the chart's right end, says so too.
    await chart(page).hover({ position: { x: canvas!.width - 24, y: canvas!.height / 2 } })
    await expect.poll(() => chart(page).textContent()).toContain(overdueNow)
    expect(await seriousViolations(page)).toEqual([])

    // Away to a report's customers (the chart disposed of) and back (drawn anew).
    await page.getByRole('link', { name: '陈浩', exact: true }).click()
    await page.getByRole('link', { name: '返回团队' }).click()
    await chart(page).locator('canvas').waitFor()
    expect(await chart(page).locator('canvas').count()).toBe(1)
    expect(pageErrors).toEqual([])
  })

  it('follows the team picked: the whole company’s trend counts 周琳 too', async () => {
    const page = await openTrend('operator')
    expect((await readTrend(page)).get(daysAgo(2))?.[1]).toBe(String(recordedTeamOverdue(2)))
    await page.getByLabel('查看团队').selectOption({ label: '全公司' })
    await expect.poll(async () => (await readTrend(page)).get(daysAgo(2))?.[1]).toBe(String(recordedTeamOverdue(2) + MANAGER_OVERDUE))
    // 周琳's wmSun, added seven days ago beside 孙薇's.
    expect((await readTrend(page)).get(daysAgo(7))?.[2]).toBe('2')
    await expect.poll(async () => (await readTrend(page)).get(today)?.[1]).toBe(`${await teamOverdueTotal(page)}（截至现在）`)
  })

  it('fits a narrow window, and redraws the chart to the window’s width', async () => {
    const page = await openTrend('manager', 420)
    const widths = (await page.evaluate('({ page: document.documentElement.scrollWidth, window: innerWidth })')) as { page: number; window: number }
    expect(widths.page).toBeLessThanOrEqual(widths.window)
    const canvasWidth = async () => (await chart(page).locator('canvas').boundingBox())!.width
    expect(await canvasWidth()).toBeLessThan(420)
    expect(await seriousViolations(page)).toEqual([])

    await page.setViewportSize({ width: 1280, height: 800 })
    await expect.poll(canvasWidth).toBeGreaterThan(600)
    await page.setViewportSize({ width: 420, height: 800 })
    await expect.poll(canvasWidth).toBeLessThan(420)
  })
})
