import type { Locator, Page } from 'playwright-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Channel, DefaultWelcome, MediaAsset } from '../../server/entities'
import { chromiumForFile } from '../browser'
import { signedIn } from '../browserSession'
import { openConsole, seriousViolations } from '../consoleBrowser'
import { testDatabaseKind } from '../database'
import { callsTo, startWecomHarness, type WecomHarness } from '../wecom'

const ADD = '/cgi-bin/externalcontact/add_contact_way'
const UPDATE = '/cgi-bin/externalcontact/update_contact_way'
const DELETE = '/cgi-bin/externalcontact/del_contact_way'
/** A 1×1 PNG. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082', 'hex')

const chromium = chromiumForFile()
let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(() => harness.cleanup())

async function openChannels(width = 1280): Promise<Page> {
  const page = await openConsole(harness, chromium.browser, 'operator', { path: '/console/#/channels', width })
  await page.getByRole('heading', { name: '渠道活码', level: 1 }).waitFor({ timeout: 15_000 })
  await page.getByRole('button', { name: '新建渠道' }).and(page.locator(':enabled')).waitFor()
  return page
}

/** Fills 新建渠道 as an operator would: two members, a tag, a welcome with both variables. */
async function fillNewChannel(page: Page, name: string) {
  await page.getByRole('button', { name: '新建渠道' }).click()
  await page.getByLabel('渠道名称').fill(name)
  await page.getByLabel('平台').selectOption('抖音')
  const members = page.getByLabel('成员')
  await members.getByLabel('陈浩').check()
  await members.getByLabel('刘怡').check()
  await page.getByLabel('自动标签').getByLabel('护肤').check()
  await page.getByLabel('欢迎语').fill('{{客户昵称}}你好，我是{{导购姓名}}，有问题随时问我～')
  await page.getByLabel('免验证').check()
}

const saveButton = (page: Page) => page.getByRole('button', { name: '保存', exact: true })
const channelCard = (page: Page, name: string) => page.getByRole('article', { name })
const imageLoaded = (image: Locator) => image.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0)

describe.runIf(chromium.enabled)(`渠道活码 in Chromium on ${testDatabaseKind}`, () => {
  it('creates a channel through the form, shows its QR code from WeCom, edits it, offers the download and deletes it after asking', async () => {
    const page = await openChannels()
    expect(await page.getByRole('navigation').getByRole('link', { name: '渠道活码' }).getAttribute('aria-current')).toBe('page')
    await fillNewChannel(page, '抖音直播间')
    expect(await seriousViolations(page)).toEqual([])
    await saveButton(page).click()

    const qr = page.getByRole('img', { name: '抖音直播间二维码' })
    await qr.waitFor()
    await expect.poll(() => imageLoaded(qr)).toBe(true)
    await page.getByRole('status').filter({ hasText: '已新建渠道“抖音直播间”' }).waitFor()
    const ways = [...harness.simulator.contactWays.values()]
    expect(ways.map((way) => ({ user: [...way.user].sort(), skip_verify: way.skip_verify, remark: way.remark }))).toEqual([{ user: ['colleague', 'seller'], skip_verify: true, remark: '抖音直播间' }])
    expect(callsTo(harness.simulator, ADD)).toHaveLength(1)
    const card = channelCard(page, '抖音直播间')
    expect(await card.textContent()).toContain('刘怡、陈浩')
    expect(await card.textContent()).toContain('护肤')
    expect(await card.getByRole('link', { name: '下载二维码' }).getAttribute('href')).toMatch(/^\/api\/console\/channels\/\d+\/qr\?download=1$/)
    expect(await seriousViolations(page)).toEqual([])

    // 编辑: one member less, 免验证 off; WeCom's way follows.
    await card.getByRole('button', { name: '编辑' }).click()
    expect(await page.getByLabel('渠道名称').inputValue()).toBe('抖音直播间')
    await page.getByLabel('成员').getByLabel('刘怡').uncheck()
    await page.getByLabel('免验证').uncheck()
    await page.getByLabel('渠道名称').fill('抖音直播间 2 号')
    await saveButton(page).click()
    await page.getByRole('status').filter({ hasText: '已保存渠道“抖音直播间 2 号”' }).waitFor()
    expect(callsTo(harness.simulator, UPDATE)).toHaveLength(1)
    expect([...harness.simulator.contactWays.values()].map((way) => ({ user: way.user, skip_verify: way.skip_verify }))).toEqual([{ user: ['seller'], skip_verify: false }])
    await page.getByRole('img', { name: '抖音直播间 2 号二维码' }).waitFor()

    await channelCard(page, '抖音直播间 2 号').getByRole('button', { name: '删除' }).click()
    await page.getByRole('dialog').getByRole('button', { name: '删除' }).click()
    await page.getByRole('status').filter({ hasText: '已删除渠道“抖音直播间 2 号”' }).waitFor()
    expect(await page.getByRole('article').count()).toBe(0)
    expect(callsTo(harness.simulator, DELETE)).toHaveLength(1)
    expect(harness.simulator.contactWays.size).toBe(0)
  })

  it('says why when WeCom refuses, and lists nothing', async () => {
    const page = await openChannels()
    harness.simulator.injectFault({ path: ADD, errcode: 41054, times: 1 })
    await fillNewChannel(page, '小红书笔记')
    await saveButton(page).click()
    expect(await page.getByRole('alert').filter({ hasText: '企业微信拒绝了这次操作' }).textContent({ timeout: 10_000 })).toBeTruthy()
    // The form stays, filled, for another try; nothing was kept.
    expect(await page.getByLabel('渠道名称').inputValue()).toBe('小红书笔记')
    expect(await page.getByRole('article').count()).toBe(0)
    expect(await page.getByText('还没有渠道').count()).toBe(1)
    expect(await harness.dataSource.getRepository(Channel).count()).toBe(0)
  })

  it('keeps a channel whose answer was lost as 创建中, and 重试 finishes it with no second QR code (narrow window)', async () => {
    const page = await openChannels(420)
    // WeCom makes the way after our client gave up waiting (the harness's client waits 2 s).
    harness.simulator.injectFault({ path: ADD, latencyMs: 2_500, times: 1 })
    await fillNewChannel(page, '门店海报')
    await saveButton(page).click()
    const card = channelCard(page, '门店海报')
    await card.getByText('创建中：企业微信未回应').waitFor({ timeout: 10_000 })
    expect(await page.getByRole('img', { name: '门店海报二维码' }).count()).toBe(0)
    expect(await seriousViolations(page)).toEqual([])

    await expect.poll(() => harness.simulator.contactWays.size, { timeout: 5_000 }).toBe(1)
    await card.getByRole('button', { name: '重试' }).click()
    const qr = page.getByRole('img', { name: '门店海报二维码' })
    await qr.waitFor()
    await expect.poll(() => imageLoaded(qr)).toBe(true)
    expect(await card.getByText('创建中').count()).toBe(0)
    expect(harness.simulator.contactWays.size).toBe(1)
    expect(callsTo(harness.simulator, ADD)).toHaveLength(1)
    expect(await harness.dataSource.getRepository(Channel).count()).toBe(1)
    expect(await seriousViolations(page)).toEqual([])
  })

  it('makes no second channel when 保存 is pressed again after its answer was lost on the way to the page', async () => {
    const page = await openChannels()
    // The server makes the channel; its answer never reaches the page (a dropped connection).
    let dropped = 0
    await page.route('**/api/console/channels', async (route) => {
      if (route.request().method() !== 'POST' || dropped > 0) return route.fallback()
      dropped++
      await route.fetch()
      await route.abort('connectionreset')
    })
    await fillNewChannel(page, '视频号直播')
    await saveButton(page).click()
    await page.getByRole('alert').filter({ hasText: '出错了' }).waitFor({ timeout: 10_000 })
    expect(await harness.dataSource.getRepository(Channel).count()).toBe(1)

    await saveButton(page).click()
    await page.getByRole('img', { name: '视频号直播二维码' }).waitFor()
    expect(await page.getByRole('article').count()).toBe(1)
    expect(await harness.dataSource.getRepository(Channel).count()).toBe(1)
    expect(harness.simulator.contactWays.size).toBe(1)
    expect(callsTo(harness.simulator, ADD)).toHaveLength(1)
  })

  it('saves the default welcome with an uploaded image, previewed from our server', async () => {
    const page = await openChannels()
    await page.getByRole('button', { name: '设置默认欢迎语' }).click()
    await page.getByLabel('欢迎语').fill('{{客户昵称}}您好，欢迎关注！')
    await page.getByRole('radio', { name: '图片' }).check()
    await page.getByLabel('欢迎图片').setInputFiles({ name: '欢迎.png', mimeType: 'image/png', buffer: PNG })
    const preview = page.getByRole('img', { name: '欢迎图片：欢迎.png' })
    await preview.waitFor({ timeout: 10_000 })
    await expect.poll(() => imageLoaded(preview)).toBe(true)
    expect(await seriousViolations(page)).toEqual([])

    await saveButton(page).click()
    await page.getByRole('status').filter({ hasText: '已保存默认欢迎语' }).waitFor()
    const [asset] = await harness.dataSource.getRepository(MediaAsset).find()
    expect(asset).toMatchObject({ fileName: '欢迎.png', contentType: 'image/png', byteLength: PNG.length })
    expect(await harness.dataSource.getRepository(DefaultWelcome).findOneByOrFail({ id: 1 })).toMatchObject({ welcomeText: '{{客户昵称}}您好，欢迎关注！', welcomeLink: null, welcomeImageId: asset!.id })
    expect(await page.getByText('（附图片“欢迎.png”）').count()).toBe(1)

    // A file that is not a PNG or JPEG is refused before sending.
    await page.getByRole('button', { name: '设置默认欢迎语' }).click()
    await page.getByLabel('欢迎图片').setInputFiles({ name: 'a.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') })
    await page.getByRole('alert').filter({ hasText: '只能上传 PNG 或 JPEG 图片' }).waitFor()
    expect(await harness.dataSource.getRepository(MediaAsset).count()).toBe(1)
  })

  it('shows a channel whose QR code WeCom no longer has as 企业微信中已不存在, with what to do', async () => {
    const { api } = await signedIn(harness, 'operator')
    const made = await api('/api/console/channels', {
      method: 'POST',
      body: JSON.stringify({ name: '官网弹窗', platform: '官网', members: ['seller'], skipVerify: true, tagIds: [], welcome: { text: null, link: null, imageId: null }, note: '' }),
    })
    expect(made.status).toBe(201)
    // What the nightly reconcile records when the way was deleted in WeCom.
    await harness.dataSource.getRepository(Channel).update({ id: ((await made.json()) as { id: number }).id }, { wecomStatus: 'gone' })
    const page = await openChannels()
    const card = channelCard(page, '官网弹窗')
    await card.getByText('企业微信中已不存在').waitFor()
    expect(await card.textContent()).toContain('请删除这个渠道，再新建一个')
    expect(await card.getByRole('img').count()).toBe(0)
    expect(await card.getByRole('link', { name: '下载二维码' }).count()).toBe(0)
    expect(await card.getByRole('button', { name: '删除' }).count()).toBe(1)
  })

  it("is not in a manager's navigation, and says 没有权限 to one who opens it", async () => {
    const page = await openConsole(harness, chromium.browser, 'manager', { path: '/console/#/channels' })
    await page.getByRole('navigation').getByRole('link', { name: '团队' }).waitFor({ timeout: 15_000 })
    expect(await page.getByRole('navigation').getByRole('link', { name: '渠道活码' }).count()).toBe(0)
    expect(await page.getByRole('alert').textContent()).toContain('没有权限')
    expect(await page.getByRole('button', { name: '新建渠道' }).count()).toBe(0)
  })
})
