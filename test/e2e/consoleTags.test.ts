import type { Locator, Page } from 'playwright-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SEGMENT_GROUP } from '../../server/jobs/segments'
import { chromiumForFile } from '../browser'
import { openConsole, seriousViolations } from '../consoleBrowser'
import { buildCompany } from '../company'
import { testDatabaseKind } from '../database'
import { startWecomHarness, type WecomHarness } from '../wecom'

const chromium = chromiumForFile()
let harness: WecomHarness
beforeEach(async () => {
  // The test company (test/company.ts), and the segments job's managed group as WeCom would have it.
  const seed = buildCompany()
  seed.tagGroups = [...(seed.tagGroups ?? []), { group_id: 'etGroupValue', group_name: SEGMENT_GROUP, order: 0, tags: [{ id: 'etValueNew', name: '新客', order: 2 }, { id: 'etValueSleep', name: '沉睡', order: 1 }] }]
  harness = await startWecomHarness({ seed, serve: true, synced: true })
})
afterEach(() => harness.cleanup())

const TAG_WRITES = ['/cgi-bin/externalcontact/add_corp_tag', '/cgi-bin/externalcontact/edit_corp_tag', '/cgi-bin/externalcontact/del_corp_tag']
const tagWriteCalls = () => harness.simulator.calls.filter((call) => TAG_WRITES.includes(call.path)).length

/** The 标签 page as `userid` opens it from the WeCom client (sign-in through the simulator's OAuth). */
async function openTags(userid = 'operator', { width = 1280 } = {}): Promise<Page> {
  const page = await openConsole(harness, chromium.browser, userid, { path: '/console/#/tags', width })
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('标签')
  await expect.poll(() => groupNames(page), { timeout: 15_000 }).not.toEqual([])
  return page
}

const groupNames = (page: Page) => page.getByRole('heading', { level: 2 }).allTextContents()
/** A group's card: the region named by its heading. */
const group = (page: Page, name: string) => page.getByRole('region', { name, exact: true })
/** A tag's item in its group's list. */
const tag = (page: Page, groupName: string, name: string) => group(page, groupName).getByRole('listitem').filter({ hasText: name })
const tagNames = (card: Locator) => card.getByRole('listitem').locator('.tag-name').allTextContents()
const button = (scope: Page | Locator, name: string) => scope.getByRole('button', { name, exact: true })
const status = (page: Page) => page.getByRole('status').textContent()

/** WeCom's corp tags now: group name → tag names, in WeCom's order. */
async function wecomTags(): Promise<[string, string[]][]> {
  const { tag_group } = await harness.wecom.client.call('getCorpTags', { body: {} })
  return tag_group.map((g) => [g.group_name, (g.tag ?? []).map((t) => t.name)])
}

describe.runIf(chromium.enabled)(`the console's 标签 page in Chromium on ${testDatabaseKind}`, () => {
  it("shows every group and its tags in WeCom's order; 客户价值 without 重命名 or 删除", async () => {
    const page = await openTags()
    expect(await page.getByRole('navigation').getByRole('link', { name: '标签', exact: true }).getAttribute('aria-current')).toBe('page')
    expect(await groupNames(page)).toEqual(['客户等级', '兴趣偏好', '来源渠道', SEGMENT_GROUP])
    expect(await tagNames(group(page, '客户等级'))).toEqual(['重要客户', '普通客户', '潜在客户'])
    expect(await button(group(page, '客户等级'), '重命名').count()).toBe(4)
    expect(await button(group(page, '客户等级'), '删除').count()).toBe(4)
    const managed = group(page, SEGMENT_GROUP)
    expect(await tagNames(managed)).toEqual(['新客', '沉睡'])
    expect(await managed.getByRole('button').count()).toBe(0)
  })

  it('creates a group with its tags, one a line, through 新建标签组 … 保存', async () => {
    const page = await openTags()
    await button(page, '新建标签组').click()
    await page.getByLabel('标签组名称', { exact: true }).fill('会员等级')
    await page.getByRole('textbox', { name: '标签', exact: true }).fill('金卡\n\n 银卡 \n铜卡\n')
    await button(page, '保存').click()
    await expect.poll(() => status(page), { timeout: 15_000 }).toBe('已新建标签组“会员等级”。')
    expect(await tagNames(group(page, '会员等级'))).toEqual(['金卡', '银卡', '铜卡'])
    expect((await wecomTags()).find(([name]) => name === '会员等级')).toEqual(['会员等级', ['金卡', '银卡', '铜卡']])
    // The form closed, and 新建标签组 has the focus again.
    expect(await page.getByLabel('标签组名称', { exact: true }).count()).toBe(0)
    expect(await page.evaluate('document.activeElement.textContent')).toBe('新建标签组')
  })

  it('adds a tag, renames a tag and a group, deletes a tag and a group after a dialog', async () => {
    const page = await openTags()
    const interest = () => group(page, '兴趣偏好')
    await button(interest(), '添加标签').click()
    await interest().getByLabel('标签名称', { exact: true }).fill('香氛')
    await button(interest(), '添加').click()
    await expect.poll(() => tagNames(interest()), { timeout: 15_000 }).toEqual(['护肤', '彩妆', '香氛'])

    await button(tag(page, '兴趣偏好', '护肤'), '重命名').click()
    const newName = interest().getByLabel('新名称', { exact: true })
    expect(await newName.inputValue()).toBe('护肤')
    await newName.fill('护肤品')
    await button(interest(), '保存').click()
    await expect.poll(() => tagNames(interest()), { timeout: 15_000 }).toEqual(['护肤品', '彩妆', '香氛'])

    await button(group(page, '来源渠道').locator('.group-head'), '重命名').click()
    await group(page, '来源渠道').getByLabel('新名称', { exact: true }).fill('渠道')
    await button(group(page, '来源渠道'), '保存').click()
    await expect.poll(() => groupNames(page), { timeout: 15_000 }).toEqual(['客户等级', '兴趣偏好', '渠道', SEGMENT_GROUP])

    await button(tag(page, '兴趣偏好', '彩妆'), '删除').click()
    const dialog = page.getByRole('dialog')
    expect(await dialog.getByRole('heading').textContent()).toBe('删除标签“彩妆”？')
    // 取消 leaves it.
    await button(dialog, '取消').click()
    expect(await dialog.count()).toBe(0)
    expect(await tagNames(interest())).toEqual(['护肤品', '彩妆', '香氛'])
    await button(tag(page, '兴趣偏好', '彩妆'), '删除').click()
    await button(page.getByRole('dialog'), '删除').click()
    await expect.poll(() => tagNames(interest()), { timeout: 15_000 }).toEqual(['护肤品', '香氛'])
    expect(await status(page)).toBe('已删除标签“彩妆”。')

    await button(group(page, '渠道').locator('.group-head'), '删除').click()
    expect(await page.getByRole('dialog').getByRole('heading').textContent()).toBe('删除标签组“渠道”？')
    await button(page.getByRole('dialog'), '删除').click()
    await expect.poll(() => groupNames(page), { timeout: 15_000 }).toEqual(['客户等级', '兴趣偏好', SEGMENT_GROUP])

    expect(await wecomTags()).toEqual([
      ['客户等级', ['重要客户', '普通客户', '潜在客户']],
      ['兴趣偏好', ['护肤品', '香氛']],
      [SEGMENT_GROUP, ['新客', '沉睡']],
    ])
  })

  it('says why a name cannot be saved before asking WeCom, and shows a WeCom refusal with nothing changed', async () => {
    const page = await openTags()
    const level = group(page, '客户等级')
    await button(tag(page, '客户等级', '重要客户'), '重命名').click()
    await level.getByLabel('新名称', { exact: true }).fill('普通客户')
    await button(level, '保存').click()
    expect(await level.getByRole('alert').textContent()).toBe('这个标签组里已有“普通客户”。')
    await level.getByLabel('新名称', { exact: true }).fill('长'.repeat(31))
    await button(level, '保存').click()
    expect(await level.getByRole('alert').textContent()).toBe('名称最多 30 个字。')
    expect(tagWriteCalls()).toBe(0)

    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/edit_corp_tag', errcode: 48002, times: 1 })
    await level.getByLabel('新名称', { exact: true }).fill('VIP')
    await button(level, '保存').click()
    await expect.poll(() => level.getByRole('alert').textContent(), { timeout: 15_000 }).toBe('企业微信拒绝了这次操作，请稍后重试。')
    await button(level, '取消').click()
    expect(await tagNames(level)).toEqual(['重要客户', '普通客户', '潜在客户'])
    await page.reload()
    await expect.poll(() => tagNames(group(page, '客户等级')), { timeout: 15_000 }).toEqual(['重要客户', '普通客户', '潜在客户'])
    expect((await wecomTags())[0]).toEqual(['客户等级', ['重要客户', '普通客户', '潜在客户']])

    await button(page, '新建标签组').click()
    await page.getByLabel('标签组名称', { exact: true }).fill('兴趣偏好')
    await page.getByRole('textbox', { name: '标签', exact: true }).fill('甲')
    await button(page, '保存').click()
    expect(await page.getByRole('alert').textContent()).toBe('已有名为“兴趣偏好”的标签组。')
    await page.getByLabel('标签组名称', { exact: true }).fill('新组')
    await page.getByRole('textbox', { name: '标签', exact: true }).fill('甲\n甲')
    await button(page, '保存').click()
    expect(await page.getByRole('alert').textContent()).toBe('标签“甲”重复了。')
    expect(tagWriteCalls()).toBe(1)
  })

  it('fits a 400 px window: the page does not scroll sideways', async () => {
    const page = await openTags('operator', { width: 400 })
    await button(page, '新建标签组').click()
    const widths = (await page.evaluate('({ page: document.documentElement.scrollWidth, window: innerWidth })')) as { page: number; window: number }
    expect(widths.page).toBeLessThanOrEqual(widths.window)
    expect(await button(tag(page, '客户等级', '重要客户'), '删除').isVisible()).toBe(true)
  })

  it('has no serious or critical axe-core violations: the list, the forms and the dialog, wide and narrow', async () => {
    for (const width of [1280, 400]) {
      const page = await openTags('operator', { width })
      expect(await seriousViolations(page)).toEqual([])
      await button(page, '新建标签组').click()
      await button(tag(page, '客户等级', '重要客户'), '重命名').click()
      await button(group(page, '兴趣偏好'), '添加标签').click()
      expect(await seriousViolations(page)).toEqual([])
      await button(tag(page, '来源渠道', '门店'), '删除').click()
      expect(await page.getByRole('dialog').count()).toBe(1)
      expect(await seriousViolations(page)).toEqual([])
      await page.context().close()
    }
  })

  it('is not there for a manager: no 标签 link, and the API refuses', async () => {
    const page = await openConsole(harness, chromium.browser, 'manager', { path: '/console/#/tags' })
    await expect.poll(() => page.getByRole('navigation').getByRole('link').allTextContents(), { timeout: 15_000 }).toEqual(['团队'])
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toBe('没有权限查看这些内容。')
    expect(await page.getByRole('button', { name: '新建标签组' }).count()).toBe(0)
    expect(tagWriteCalls()).toBe(0)
    await page.context().close()
  })
})
