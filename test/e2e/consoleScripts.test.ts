import type { Locator, Page } from 'playwright-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActivityLog, Script } from '../../server/entities'
import { chromiumForFile } from '../browser'
import { openConsole, seriousViolations } from '../consoleBrowser'
import { buildScriptLibrary } from '../company'
import { testDatabaseKind } from '../database'
import { startWecomHarness, type WecomHarness } from '../wecom'

const chromium = chromiumForFile()
let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  await buildScriptLibrary(harness.dataSource)
})
afterEach(() => harness.cleanup())

const LIBRARY = ['会员回馈', '物流跟进', '彩妆试色', '护肤新品', '节日问候', '新客欢迎']

/** 话术库 as member `userid` opens it from the WeCom client (OAuth, answered by the simulator as `userid`). */
async function openScripts(userid: string, { width = 1280 } = {}): Promise<Page> {
  const page = await openConsole(harness, chromium.browser, userid, { path: '/console/#/scripts', width })
  return page
}

/** The table of scripts (its caption starts 共 …), not the import's table of rejected lines. */
const scriptTable = (page: Page) => page.getByRole('table').filter({ has: page.locator('caption', { hasText: /^共/ }) })
/** The titles listed, in order. */
const titles = (page: Page) => scriptTable(page).getByRole('rowheader').allTextContents()
const row = (page: Page, title: string): Locator => scriptTable(page).getByRole('row').filter({ has: page.getByRole('rowheader', { name: title, exact: true }) })

const actions = async () => (await harness.dataSource.getRepository(ActivityLog).find({ order: { id: 'ASC' } })).map((row) => row.action).filter((action) => action.startsWith('script'))

describe.runIf(chromium.enabled)(`话术库 in Chromium on ${testDatabaseKind}`, () => {
  it('lists the library with send counts; searches and filters by category', async () => {
    await harness.dataSource.getRepository(Script).update({ title: '节日问候' }, { sendCount: 7 })
    const page = await openScripts('operator')
    const navigation = page.getByRole('navigation')
    await expect.poll(() => navigation.getByRole('link', { name: '话术库' }).getAttribute('aria-current'), { timeout: 15_000 }).toBe('page')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('话术库')
    await expect.poll(() => titles(page), { timeout: 15_000 }).toEqual(LIBRARY)
    expect(await scriptTable(page).getByRole('columnheader').allTextContents()).toEqual(['标题', '分类', '内容', '目标标签', '发送次数', '操作'])
    expect((await row(page, '节日问候').getByRole('cell').allTextContents()).map((text) => text.trim())).toEqual([
      '开场问候',
      '{{客户称呼}}，节日快乐！门店本周有会员专享活动，欢迎来逛逛。',
      '不限',
      '7',
      '编辑删除',
    ])
    expect(await row(page, '新客欢迎').getByRole('cell').nth(2).textContent()).toBe('潜在客户')

    const search = page.getByLabel('搜索话术')
    expect(await search.getAttribute('type')).toBe('search')
    await search.fill('口红')
    await expect.poll(() => titles(page)).toEqual(['彩妆试色'])
    await search.fill('问候')
    await expect.poll(() => titles(page)).toEqual(['节日问候'])
    await search.fill('没有这样的话术')
    await expect.poll(() => page.getByText('没有符合条件的话术。').count()).toBe(1)
    await search.fill('')
    await expect.poll(() => titles(page)).toEqual(LIBRARY)

    await page.getByLabel('分类筛选').selectOption({ label: '售后关怀（2）' })
    await expect.poll(() => titles(page)).toEqual(['会员回馈', '物流跟进'])
    await page.getByLabel('分类筛选').selectOption({ label: '全部分类' })
    await expect.poll(() => titles(page)).toEqual(LIBRARY)
  })

  it('creates, edits and deletes a script through the form and the confirming dialog', async () => {
    const page = await openScripts('operator')
    await expect.poll(() => titles(page), { timeout: 15_000 }).toEqual(LIBRARY)

    await page.getByRole('button', { name: '新建话术' }).click()
    const form = page.getByRole('form', { name: '新建话术' })
    // Nothing filled in: refused on the page, nothing sent.
    await form.getByRole('button', { name: '保存' }).click()
    expect(await form.getByRole('alert').textContent()).toBe('请填写分类。')
    await form.getByLabel('分类', { exact: true }).fill('复购提醒')
    await form.getByLabel('标题', { exact: true }).fill('<b>回购</b>提醒')
    await form.getByLabel('内容', { exact: true }).fill('{{客户称呼}}，{{优惠码}}到账了')
    await form.getByLabel('目标标签', { exact: true }).fill('重要客户, 护肤')
    await form.getByRole('button', { name: '保存' }).click()
    expect(await form.getByRole('alert').textContent()).toContain('{{优惠码}}')
    expect(await harness.dataSource.getRepository(Script).count()).toBe(6)

    await form.getByLabel('内容', { exact: true }).fill('{{客户称呼}}，您上次买的{{最近购买}}快用完了吧？')
    await form.getByRole('button', { name: '保存' }).click()
    await expect.poll(() => page.getByRole('status').filter({ hasText: '已新建话术' }).textContent()).toBe('已新建话术“<b>回购</b>提醒”。')
    expect(await page.getByRole('form').count()).toBe(0)
    await expect.poll(() => titles(page)).toEqual(['<b>回购</b>提醒', ...LIBRARY])
    // Markup in a title is text.
    expect(await scriptTable(page).locator('b').count()).toBe(0)
    const created = row(page, '<b>回购</b>提醒')
    expect((await created.getByRole('cell').allTextContents()).slice(0, 4)).toEqual(['复购提醒', '{{客户称呼}}，您上次买的{{最近购买}}快用完了吧？', '护肤重要客户', '0'])

    // The same category and title as another: the server's refusal, in the form.
    await row(page, '节日问候').getByRole('button', { name: '编辑' }).click()
    const edit = page.getByRole('form', { name: '编辑话术“节日问候”' })
    expect(await edit.getByLabel('分类', { exact: true }).inputValue()).toBe('开场问候')
    expect(await edit.getByLabel('标题', { exact: true }).inputValue()).toBe('节日问候')
    await edit.getByLabel('标题', { exact: true }).fill('新客欢迎')
    await edit.getByRole('button', { name: '保存' }).click()
    await expect.poll(() => edit.getByRole('alert').textContent()).toBe('这个分类下已有同名的话术，请换一个标题或分类。')
    await edit.getByLabel('标题', { exact: true }).fill('节日问候')
    await edit.getByLabel('内容', { exact: true }).fill('{{客户称呼}}，中秋快乐！')
    await edit.getByLabel('目标标签', { exact: true }).fill('重要客户')
    await edit.getByRole('button', { name: '保存' }).click()
    await expect.poll(() => titles(page)).toEqual(['节日问候', '<b>回购</b>提醒', ...LIBRARY.filter((title) => title !== '节日问候')])
    expect((await row(page, '节日问候').getByRole('cell').allTextContents()).slice(1, 3)).toEqual(['{{客户称呼}}，中秋快乐！', '重要客户'])

    // 删除 asks first; 取消 keeps the script.
    await row(page, '彩妆试色').getByRole('button', { name: '删除' }).click()
    const dialog = page.getByRole('dialog')
    expect(await dialog.getByRole('heading').textContent()).toBe('删除话术“彩妆试色”？')
    await dialog.getByRole('button', { name: '取消' }).click()
    expect(await dialog.isVisible()).toBe(false)
    expect(await titles(page)).toContain('彩妆试色')
    await row(page, '彩妆试色').getByRole('button', { name: '删除' }).click()
    await dialog.getByRole('button', { name: '删除' }).click()
    await expect.poll(() => titles(page)).not.toContain('彩妆试色')
    expect(await page.getByRole('status').filter({ hasText: '已删除' }).textContent()).toBe('已删除话术“彩妆试色”。')
    expect(await harness.dataSource.getRepository(Script).countBy({ title: '彩妆试色' })).toBe(0)
    expect(await actions()).toEqual(['script_created', 'script_updated', 'script_deleted'])
  })

  it('imports a CSV file and shows the counts and the rejected lines with their line numbers and reasons', async () => {
    const page = await openScripts('operator')
    await expect.poll(() => titles(page), { timeout: 15_000 }).toEqual(LIBRARY)
    const csv = ['category,title,content,tags', '节日,中秋问候,"{{客户称呼}}，中秋快乐,阖家团圆",重要客户', '节日,,没有标题,', '开场问候,新客欢迎,{{客户称呼}}您好！,潜在客户', '节日,优惠,{{优惠码}}到账了,'].join('\n')
    await page.getByLabel('导入 CSV').setInputFiles({ name: '话术.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') })
    await expect.poll(() => page.locator('#import-summary').textContent(), { timeout: 15_000 }).toBe('“话术.csv”导入完成：新增 1 条，更新 1 条，未变 0 条。')
    const rejected = page.getByRole('table').filter({ has: page.locator('caption', { hasText: '行没有导入' }) })
    expect(await rejected.locator('caption').textContent()).toBe('2 行没有导入，请修改后重新导入')
    expect(await rejected.getByRole('columnheader').allTextContents()).toEqual(['行号', '原因'])
    const lines = await rejected.locator('tbody tr').all()
    expect(await Promise.all(lines.map(async (line) => (await line.locator('th, td').allTextContents()).map((text) => text.trim())))).toEqual([
      ['3', '标题为空'],
      ['5', '有不认识的变量 {{优惠码}}'],
    ])
    // One batch, one time: the newest id first.
    await expect.poll(() => titles(page)).toEqual(['中秋问候', '新客欢迎', ...LIBRARY.filter((title) => title !== '新客欢迎')])
    expect(await actions()).toEqual(['scripts_imported'])

    // Not the scripts CSV: refused whole, with the reason.
    await page.getByLabel('导入 CSV').setInputFiles({ name: '订单.csv', mimeType: 'text/csv', buffer: Buffer.from('platform,order_no\n淘宝,1\n', 'utf8') })
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('表头')
    expect(await page.locator('#import-summary').count()).toBe(0)
    expect(await harness.dataSource.getRepository(Script).count()).toBe(7)
  })

  it('is for operators only: a manager sees no 话术库', async () => {
    const page = await openScripts('manager')
    await expect.poll(() => page.getByRole('navigation').getByRole('link').allTextContents(), { timeout: 15_000 }).toEqual(['团队'])
    // By address: the page says so, and offers nothing (the API refuses a manager anyway).
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('没有权限查看这些内容。')
    expect(await page.getByLabel('搜索话术').count()).toBe(0)
    expect(await page.getByRole('button', { name: '新建话术' }).count()).toBe(0)
    expect(await page.getByRole('table').count()).toBe(0)
  })

  it('fits a 400 px window and has no serious or critical axe-core violations, with the form and the dialog open', async () => {
    for (const width of [1280, 400]) {
      const page = await openScripts('operator', { width })
      await expect.poll(() => titles(page), { timeout: 15_000 }).toEqual(LIBRARY)
      expect(await seriousViolations(page)).toEqual([])
      const widths = (await page.evaluate('({ page: document.documentElement.scrollWidth, window: innerWidth })')) as { page: number; window: number }
      expect(widths.page, `at ${width} px`).toBeLessThanOrEqual(widths.window)

      await page.getByRole('button', { name: '新建话术' }).click()
      await page.getByRole('form', { name: '新建话术' }).getByRole('button', { name: '保存' }).click()
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('button', { name: '取消' }).click()

      await page.getByLabel('导入 CSV').setInputFiles({ name: 'a.csv', mimeType: 'text/csv', buffer: Buffer.from('category,title,content\n问候,,x\n', 'utf8') })
      await expect.poll(() => page.locator('#import-summary').count(), { timeout: 15_000 }).toBe(1)
      await row(page, '新客欢迎').getByRole('button', { name: '删除' }).click()
      expect(await page.getByRole('dialog').isVisible()).toBe(true)
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('dialog').getByRole('button', { name: '取消' }).click()
      const after = (await page.evaluate('({ page: document.documentElement.scrollWidth, window: innerWidth })')) as { page: number; window: number }
      expect(after.page, `at ${width} px`).toBeLessThanOrEqual(after.window)
      await page.context().close()
    }
  })
})
