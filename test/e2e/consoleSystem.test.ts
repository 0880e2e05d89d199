import type { Page } from 'playwright-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActivityLog, InboxEvent, SyncRun } from '../../server/entities'
import { chromiumForFile } from '../browser'
import { openConsole, seriousViolations } from '../consoleBrowser'
import { testDatabaseKind } from '../database'
import { buildEvent } from '../factories'
import { startWecomHarness, type WecomHarness } from '../wecom'

const chromium = chromiumForFile()
let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(async () => {
  await expect.poll(async () => harness.dataSource.getRepository(SyncRun).countBy({ status: 'running' }), { timeout: 20_000 }).toBe(0)
  await harness.cleanup()
})

const xml = (n: number) => `<xml><ToUserName>wwtest</ToUserName><FromUserName>sys</FromUserName><CreateTime>${1_700_000_000 + n}</CreateTime><MsgType>event</MsgType><Event>change_external_contact</Event><ChangeType>edit_external_contact</ChangeType><UserID>seller</UserID><ExternalUserID>wm${n}</ExternalUserID></xml>`
let events = 0
const dead = (error: string) => buildEvent(harness.dataSource, xml(++events), { status: 'dead', attempts: 8, lastError: error, processedAt: new Date() })

/** The console as `userid` opens it from the WeCom client, at `#/system`. */
const openSystem = (userid: string, { width = 1280 } = {}): Promise<Page> => openConsole(harness, chromium.browser, userid, { path: '/console/#/system', width })

const deadTable = (page: Page) => page.getByRole('table', { name: '死信（最新的在前）' })
const deadRows = (page: Page) => deadTable(page).getByRole('row').filter({ has: page.getByRole('rowheader') })

describe.runIf(chromium.enabled)(`the console's 系统 page in Chromium on ${testDatabaseKind}`, () => {
  it('shows the inbox, replays one dead letter and then all, runs 立即同步 to its end, and logs each change', async () => {
    const first = await dead('contact-mirror: WecomError: WeCom /cgi-bin/externalcontact/get failed with -1: <b>busy</b>')
    await dead('order-matching: Error: deadlock')
    await dead('SyntaxError: broken XML')
    const page = await openSystem('operator')

    const navigation = page.getByRole('navigation')
    await expect.poll(() => navigation.getByRole('link', { name: '系统' }).count(), { timeout: 15_000 }).toBe(1)
    expect(await navigation.getByRole('link', { name: '系统' }).getAttribute('aria-current')).toBe('page')
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('系统')

    // The inbox's counts and the failures per processor.
    await expect.poll(() => page.getByRole('table', { name: '各处理器的失败（等待重试的事件与死信）' }).getByRole('rowheader').allTextContents(), { timeout: 15_000 }).toEqual([
      '客户同步',
      '订单匹配',
      '收件箱（处理器之外）',
    ])
    expect(await page.getByRole('definition').allTextContents()).toEqual(['0', '0', '0', '3'])

    // Every dead letter a row with its own 重放; the error's markup shows as text.
    await expect.poll(() => deadRows(page).count(), { timeout: 15_000 }).toBe(3)
    const firstRow = deadRows(page).filter({ has: page.getByRole('rowheader', { name: String(first.id), exact: true }) })
    expect(await firstRow.textContent()).toContain('<b>busy</b>')
    expect(await deadTable(page).locator('b').count()).toBe(0)
    for (const row of await deadRows(page).all()) expect(await row.getByRole('button', { name: '重放', exact: true }).count()).toBe(1)

    await firstRow.getByRole('button', { name: '重放', exact: true }).click()
    await expect.poll(() => deadRows(page).count(), { timeout: 15_000 }).toBe(2)
    expect(await page.getByText('已重放 1 条，它们将重新处理。').count()).toBe(1)
    expect((await harness.dataSource.getRepository(InboxEvent).findOneByOrFail({ id: first.id })).status).toBe('pending')

    await page.getByRole('button', { name: '全部重放', exact: true }).click()
    await expect.poll(() => page.getByText('没有死信。').count(), { timeout: 15_000 }).toBe(1)
    expect(await page.getByText('已重放 2 条，它们将重新处理。').count()).toBe(1)
    expect(await harness.dataSource.getRepository(InboxEvent).countBy({ status: 'dead' })).toBe(0)
    expect(await page.getByRole('button', { name: '全部重放', exact: true }).isDisabled()).toBe(true)

    // 立即同步: its progress while it runs (the page polls), then the run in the last syncs.
    expect(await page.getByText('还没有同步记录。').count()).toBe(1)
    // The customer page is answered busy twice, 1.5 s late each time: the page polls (every 2 s) while the sync waits.
    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/batch/get_by_user', errcode: 45033, latencyMs: 1_500, times: 2 })
    const start = page.getByRole('button', { name: '立即同步', exact: true })
    await start.click()
    await expect.poll(() => page.getByText('同步进行中…').count(), { timeout: 15_000 }).toBe(1)
    expect(await start.isDisabled()).toBe(true)
    await expect.poll(() => page.getByRole('progressbar').count(), { timeout: 15_000 }).toBeGreaterThan(0)
    for (const label of await page.getByRole('status').locator('label').allTextContents()) expect(label).toMatch(/^(标签|成员|客户|清理)：\d+ \/ \d+$/)
    await expect.poll(() => page.getByText('同步进行中…').count(), { timeout: 30_000 }).toBe(0)
    const syncs = page.getByRole('table', { name: '最近的同步' })
    const syncRow = syncs.getByRole('row').filter({ has: page.getByRole('rowheader') })
    expect(await syncRow.count()).toBe(1)
    const cells = await syncRow.getByRole('cell').allTextContents()
    expect(cells.slice(1, 4)).toEqual(['后台（立即同步）', '孙薇', '完成'])
    expect(cells[4]).toContain('成员 4')
    expect(await start.isDisabled()).toBe(false)

    // The activity log: each change with its actor, newest first, filtered by action.
    const log = page.getByRole('table', { name: '操作记录（最新的在前）' })
    await expect.poll(() => log.getByRole('row').filter({ has: page.getByRole('rowheader') }).locator('td:nth-of-type(2)').allTextContents(), { timeout: 15_000 }).toEqual([
      '立即同步',
      '全部重放死信',
      '重放死信',
    ])
    expect(await log.getByText('孙薇（operator）').count()).toBe(3)
    await page.getByLabel('按操作筛选').selectOption({ label: '重放死信' })
    await page.getByRole('button', { name: '筛选', exact: true }).click()
    await expect.poll(() => log.getByRole('row').filter({ has: page.getByRole('rowheader') }).count(), { timeout: 15_000 }).toBe(1)
    await page.getByLabel('按成员筛选（账号）').fill('seller')
    await page.getByRole('button', { name: '筛选', exact: true }).click()
    await expect.poll(() => page.getByText('没有符合条件的操作记录。').count(), { timeout: 15_000 }).toBe(1)
    expect(await harness.dataSource.getRepository(ActivityLog).count()).toBe(3)

    expect(await seriousViolations(page)).toEqual([])
  })

  it('is not in a manager’s navigation', async () => {
    const page = await openSystem('manager')
    await expect.poll(() => page.getByRole('navigation').getByRole('link').allTextContents(), { timeout: 15_000 }).toContain('团队')
    expect(await page.getByRole('navigation').getByRole('link', { name: '系统' }).count()).toBe(0)
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toBe('只有管理员可以查看系统状态。')
    expect(await page.getByRole('button', { name: '立即同步' }).count()).toBe(0)
    expect(await page.getByRole('table').count()).toBe(0)
  })

  it('fits a narrow window and has no serious or critical axe-core violations, with dead letters and a sync shown', async () => {
    await dead('contact-mirror: Error: a long error '.repeat(20))
    // A sync of npm run sync, ended: no member started it.
    const startedAt = new Date()
    await harness.dataSource.getRepository(SyncRun).insert({
      origin: 'cli', actorMemberId: null, status: 'done', runningKey: null, claimedBy: 'elsewhere:1:1:aa', startedAt, finishedAt: startedAt, leaseUntil: null, progress: '{}',
      summary: JSON.stringify({ members: 4, tags: {}, customers: { created: 1 }, follows: {}, resumed: false, seconds: 1.5 }),
    })
    await harness.dataSource.getRepository(ActivityLog).insert({ actorMemberId: null, customerId: null, action: 'follow_up', detail: JSON.stringify({ note: 'x'.repeat(300) }), createdAt: new Date() })
    for (const width of [1280, 400]) {
      const page = await openSystem('operator', { width })
      await expect.poll(() => deadRows(page).count(), { timeout: 15_000 }).toBe(1)
      await expect.poll(() => page.getByRole('table', { name: '操作记录（最新的在前）' }).count(), { timeout: 15_000 }).toBe(1)
      const syncCells = await page.getByRole('table', { name: '最近的同步' }).getByRole('cell').allTextContents()
      expect(syncCells.slice(1, 4)).toEqual(['命令行（npm run sync）', '—', '完成'])
      expect(await seriousViolations(page)).toEqual([])
      const widths = (await page.evaluate('({ page: document.documentElement.scrollWidth, window: innerWidth })')) as { page: number; window: number }
      expect(widths.page, `at ${width}`).toBeLessThanOrEqual(widths.window)
      expect(await page.getByRole('button', { name: '立即同步', exact: true }).isVisible()).toBe(true)
      await page.context().close()
    }
  })
})
