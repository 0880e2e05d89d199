import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { importOrders } from '../../server/orders/importOrders'
import type { Page } from 'playwright-core'
import { chromiumForFile, fakeWecomHost, WECOM_USER_AGENT } from '../browser'
import { testDatabaseKind } from '../database'
import { callsTo, startWecomHarness, type WecomHarness } from '../wecom'
import { buildScriptLibrary, syncedCustomer } from '../company'
import { buildOrder, setNextFollowUp } from '../factories'
import { addDays, businessDate } from '../../server/time'
import { Member } from '../../server/entities'
import { DEFAULT_REMINDER_RULES, saveReminderRules } from '../../server/rules/reminderRules'

const chromium = chromiumForFile()
let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  await buildScriptLibrary(harness.dataSource)
  // What wmXiaomei bought three days ago; the other customers have no orders.
  await buildOrder(harness.dataSource, {
    customer: await syncedCustomer(harness.dataSource, 'wmXiaomei'),
    orderNo: 'TM-1001',
    status: 'shipped',
    paidAt: new Date(Date.now() - 3 * 86_400_000),
    items: [{ name: '防晒霜', quantity: 2 }],
  })
})
afterEach(() => harness.cleanup())

/** The sidebar as member `userid` opens it in WeCom, in the given entry, for the given customer. */
async function openSidebar(
  userid: string,
  { entry = 'single_chat_tools', customer = 'wmXiaomei' as string | null, hash = '', agentTicket = '', fail = {} as Record<string, string> } = {},
): Promise<Page> {
  harness.simulator.setOauthUser(userid)
  const context = await chromium.browser.newContext({ userAgent: WECOM_USER_AGENT, locale: 'zh-CN', permissions: ['clipboard-read', 'clipboard-write'] })
  await context.addInitScript(fakeWecomHost({ agentTicket: agentTicket || harness.simulator.tickets.agent, entry, userId: customer, fail }))
  const page = await context.newPage()
  await page.goto(`${harness.server!.url}/sidebar/${hash}`)
  return page
}
const fake = <T>(page: Page, read: string) => page.evaluate((expression) => (0, eval)(expression), read) as Promise<T>

describe.runIf(chromium.enabled)(`the sidebar in Chromium on ${testDatabaseKind}`, () => {
  it('signs in through OAuth, passes the signature check, and shows the customer', async () => {
    const page = await openSidebar('seller')
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('🌸小美')
    expect(new URL(page.url()).searchParams.has('code')).toBe(false)
    expect(await fake<boolean>(page, 'window.__wecomFake.verified')).toBe(true)
    await expect.poll(() => page.getByText('备注：小美-老客').count()).toBe(1)
    expect(await page.getByRole('button', { name: '重要客户', exact: true }).getAttribute('aria-pressed')).toBe('true')
    expect(await page.getByRole('button', { name: '普通客户', exact: true }).getAttribute('aria-pressed')).toBe('false')
    expect(await page.getByText('TM-1001').count()).toBe(1)
    expect(await page.getByRole('button', { name: '护肤新品' }).count()).toBe(1)
    expect(await page.getByText('138****0001').count()).toBe(1)
  })

  it('shows the panel after at most 2 API round trips once signed in (SPEC §7)', async () => {
    const first = await openSidebar('seller')
    await expect.poll(() => first.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('🌸小美')
    // The same WeCom client opens the toolbar again: its session cookie is kept.
    const page = await first.context().newPage()
    const apiCalls: string[] = []
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/')) apiCalls.push(`${request.method()} ${new URL(request.url()).pathname}`)
    })
    await page.goto(`${harness.server!.url}/sidebar/`)
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('🌸小美')
    expect(apiCalls).toEqual(['GET /api/session', 'GET /api/customers/wmXiaomei/panel'])
  })

  it('toggles a tag through WeCom’s mark_tag, and rolls back with a message when WeCom refuses', async () => {
    const page = await openSidebar('seller')
    const normal = page.getByRole('button', { name: '普通客户', exact: true })
    await normal.click()
    await expect.poll(() => callsTo(harness.simulator, '/cgi-bin/externalcontact/mark_tag').length).toBe(1)
    expect(await normal.getAttribute('aria-pressed')).toBe('true')
    expect(harness.simulator.company.follow('seller', 'wmXiaomei')!.tagIds).toContain('etNormal')

    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/mark_tag', errcode: 40068 })
    const prospect = page.getByRole('button', { name: '潜在客户', exact: true })
    await prospect.click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('潜在客户')
    expect(await prospect.getAttribute('aria-pressed')).toBe('false')
  })

  it('sends a script filled with the customer’s data through sendChatMessage', async () => {
    const page = await openSidebar('seller')
    const row = page.getByRole('listitem').filter({ has: page.getByRole('button', { name: '护肤新品' }) })
    await row.getByRole('button', { name: '发送' }).click()
    await expect.poll(() => fake<unknown[]>(page, "window.__wecomFake.calls.filter((c) => c.name === 'sendChatMessage').map((c) => c.params)")).toEqual([
      expect.objectContaining({ msgtype: 'text', text: { content: '小美-老客，上次您买的防晒霜用得怎么样？这周到了新款精华，很适合换季。' } }),
    ])
    await expect.poll(async () => Number((await harness.dataSource.query("SELECT send_count FROM scripts WHERE title = '护肤新品'"))[0].send_count)).toBe(1)
  })

  it('asks before sending a text with an unresolved variable, and sends it as edited', async () => {
    const page = await openSidebar('colleague', { customer: 'wmWu' })
    const row = page.getByRole('listitem').filter({ has: page.getByRole('button', { name: '护肤新品' }) })
    // The preview marks the variable that has no value for this customer.
    await expect.poll(() => row.locator('mark').textContent(), { timeout: 15_000 }).toBe('{{最近购买}}')
    await row.getByRole('button', { name: '发送' }).click()
    const dialog = page.getByRole('dialog')
    await expect.poll(() => dialog.textContent()).toContain('{{最近购买}}')
    await dialog.getByRole('button', { name: '取消' }).click()
    await row.getByRole('button', { name: '护肤新品' }).click()
    const text = row.getByRole('textbox')
    await text.fill('周末有空来店里看看新品吗？')
    await row.getByRole('button', { name: '发送' }).click()
    expect(await page.getByRole('dialog').count()).toBe(0)
    await expect.poll(() => fake<string[]>(page, "window.__wecomFake.calls.filter((c) => c.name === 'sendChatMessage').map((c) => c.params.text.content)")).toEqual([
      '周末有空来店里看看新品吗？',
    ])
  })

  it('saves a follow-up that then appears on the to-do page', async () => {
    const page = await openSidebar('seller', { customer: 'wmChen' })
    await page.getByLabel('跟进记录').fill('电话沟通，周末到店试用')
    const today = await page.evaluate(() => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()))
    await page.getByLabel('下次跟进').fill(today)
    await page.getByRole('button', { name: '保存' }).click()
    await expect.poll(() => page.getByText('电话沟通，周末到店试用').count()).toBe(1)
    const todo = await openSidebar('seller', { hash: '#/todo' })
    const item = todo.getByRole('listitem').filter({ hasText: '今天' })
    await expect.poll(() => item.count()).toBe(1)
  })

  it("says beforehand the date 提醒规则 give a follow-up saved without one, and saves it", async () => {
    await saveReminderRules(harness.dataSource.manager, { ...DEFAULT_REMINDER_RULES, followUpDays: { 意向: 3 } }, (await harness.dataSource.getRepository(Member).findOneByOrFail({ userid: 'operator' })).id)
    const page = await openSidebar('seller', { customer: 'wmChen' })
    const today = businessDate(new Date(), 'Asia/Shanghai')
    await page.getByLabel('跟进记录').fill('有兴趣，下周再聊')
    // wmChen has no stage yet: nothing to say until one is chosen.
    expect(await page.getByText('按提醒规则').count()).toBe(0)
    await page.getByLabel('客户阶段').selectOption('意向')
    const hint = page.getByText(`不填日期时，按提醒规则定为 ${addDays(today, 3)}。`)
    await hint.waitFor()
    expect(await page.getByLabel('下次跟进').getAttribute('aria-describedby')).toBe(await hint.getAttribute('id'))
    await page.getByRole('button', { name: '保存' }).click()
    await expect.poll(() => page.getByText(`下次跟进 ${addDays(today, 3)}`).count()).toBe(1)
  })

  it('shows a nickname made of HTML as text', async () => {
    const page = await openSidebar('seller', { customer: 'wmBold' })
    const heading = page.getByRole('heading', { level: 1 })
    await expect.poll(() => heading.textContent(), { timeout: 15_000 }).toBe('<b>加粗</b>&amp;')
    expect(await heading.locator('b').count()).toBe(0)
  })

  it('refuses another member’s customer with a clear page', async () => {
    const page = await openSidebar('seller', { customer: 'wmUnicorn' })
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('你没有跟进这位客户')
  })

  it('opens the customer a loss alert links to, for the manager, and for nobody else', async () => {
    await harness.simulator.customerDeletesMember({ userid: 'colleague', externalUserid: 'wmQuotes' })
    await harness.drainInbox()
    const alert = harness.simulator.appMessages.find((m) => m.recipients.includes('manager'))!
    const link = new URL((alert.body.textcard as { url: string }).url)
    expect(link.hash).toBe('#/customer/wmQuotes')
    // Opened from the app message, not from a chat: WeCom names no customer.
    const page = await openSidebar('manager', { entry: 'normal', customer: null, hash: link.hash })
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('"引号"\'与\'<script>alert(1)</script>')
    expect(await page.getByText('客户已删除 刘怡，仍可查看资料').count()).toBe(1)
    // seller is neither colleague's manager nor an operator.
    const stranger = await openSidebar('seller', { entry: 'normal', customer: null, hash: link.hash })
    await expect.poll(() => stranger.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('你没有跟进这位客户')
  })

  it('binds an order number to the customer, and the panel shows the order', async () => {
    const csv = `platform,order_no,status,paid_at,amount,items,external_userid,unionid,phone,buyer_id\ntmall,TB-777,paid,${new Date(Date.now() - 60_000).toISOString()},88.00,面膜*2,,,,buyer-777`
    await importOrders(harness.dataSource, Readable.from([csv]), { timeZone: 'Asia/Shanghai' })
    const page = await openSidebar('seller')
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('🌸小美')
    expect(await page.getByText('TB-777').count()).toBe(0)
    await page.getByLabel('号码').fill('TB-777')
    await page.getByRole('button', { name: '关联' }).click()
    await expect.poll(() => page.getByText('TB-777').count()).toBe(1)
    expect(await page.getByRole('status').filter({ hasText: '已关联' }).textContent()).toContain('新匹配 1 个订单')
    // The script previews are filled from the new latest order.
    expect(await page.getByText('上次您买的面膜用得怎么样').count()).toBe(1)
    // Someone else's order is refused with a clear message.
    await page.getByLabel('号码').fill('NO-SUCH-ORDER')
    await page.getByRole('button', { name: '关联' }).click()
    await expect.poll(() => page.getByRole('status').filter({ hasText: '没有找到这个订单号' }).count()).toBe(1)
  })

  it('says so clearly when the JS-SDK signature does not pass WeCom’s check', async () => {
    const page = await openSidebar('seller', { agentTicket: 'a-ticket-that-is-not-the-apps' })
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('JS-SDK 签名未通过')
    expect(await fake<boolean>(page, 'window.__wecomFake.verified')).toBe(false)
  })

  it('says so clearly when the member lacks 客户联系 permission', async () => {
    const page = await openSidebar('seller', { fail: { getCurExternalContact: 'fail_no permission' } })
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('没有“客户联系”权限')
  })

  it('explains the group-chat toolbar and a chat without a customer', async () => {
    const group = await openSidebar('seller', { entry: 'group_chat_tools', customer: null })
    await expect.poll(() => group.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('客户群')
    const none = await openSidebar('seller', { entry: 'single_chat_tools', customer: null })
    await expect.poll(() => none.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('没有找到当前聊天的客户')
  })

  it('lists the most overdue first, says how late, and opens the customer’s chat when tapped', async () => {
    const today = businessDate(new Date(), 'Asia/Shanghai')
    await setNextFollowUp(harness.dataSource, 'wmChen', addDays(today, -40))
    await setNextFollowUp(harness.dataSource, 'wmLin', today)
    const page = await openSidebar('seller', { entry: 'normal', customer: null, hash: '#/todo' })
    const links = page.getByRole('list').getByRole('link')
    await expect.poll(() => links.count(), { timeout: 15_000 }).toBeGreaterThan(2)
    const texts = await links.allTextContents()
    expect(texts[0]).toContain('陈先生')
    expect(texts[0]).toContain('逾期 40 天')
    expect(texts.at(-1)).toContain('今天到期')
    expect(texts.some((text) => text.includes('新客未跟进'))).toBe(true)
    await links.first().click()
    await expect.poll(() => fake<unknown[]>(page, "window.__wecomFake.calls.filter((c) => c.name === 'openEnterpriseChat').map((c) => c.params.externalUserIds)")).toEqual([
      'wmChen',
    ])
    // This host cannot open chats: the customer's page opens instead, and it offers no send.
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('陈先生')
  })

  it('makes editing the first choice when a variable is unfilled, and never sends braces', async () => {
    const page = await openSidebar('colleague', { customer: 'wmWu' })
    const row = page.getByRole('listitem').filter({ has: page.getByRole('button', { name: '物流跟进' }) })
    await row.getByRole('button', { name: '发送' }).click({ timeout: 15_000 })
    const dialog = page.getByRole('dialog')
    const buttons = dialog.getByRole('button')
    await expect.poll(() => buttons.first().textContent()).toBe('修改')
    expect(await fake<string>(page, 'document.activeElement.textContent')).toBe('修改')
    await buttons.first().click()
    expect(await dialog.count()).toBe(0)
    await expect.poll(() => fake<string>(page, "document.activeElement.getAttribute('aria-label')")).toBe('物流跟进')
    // Sent as is, on purpose: the variable goes, with the brackets around it.
    await row.getByRole('button', { name: '发送' }).click()
    await dialog.getByRole('button', { name: '发送' }).click()
    await expect.poll(() => fake<string[]>(page, "window.__wecomFake.calls.filter((c) => c.name === 'sendChatMessage').map((c) => c.params.text.content)")).toEqual([
      '吴小姐，您的订单状态是，有问题随时告诉我。',
    ])
  })

  it('says a tag was deleted by an admin, and shows the tags as they are now', async () => {
    const page = await openSidebar('seller')
    const normal = page.getByRole('button', { name: '普通客户', exact: true })
    await expect.poll(() => normal.count(), { timeout: 15_000 }).toBe(1)
    await harness.simulator.adminDeletesTag({ tagId: 'etNormal' })
    await harness.drainInbox()
    await normal.click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('这个标签已被管理员删除')
    await expect.poll(() => normal.count()).toBe(0)
    expect(await page.getByRole('button', { name: '重要客户', exact: true }).getAttribute('aria-pressed')).toBe('true')
  })

  it('offers copy, not send, on a customer page opened outside a chat', async () => {
    const page = await openSidebar('seller', { entry: 'normal', customer: null, hash: '#/customer/wmXiaomei' })
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('🌸小美')
    expect(await page.getByRole('button', { name: '发送' }).count()).toBe(0)
    const row = page.getByRole('listitem').filter({ has: page.getByRole('button', { name: '护肤新品' }) })
    await row.getByRole('button', { name: '复制' }).click()
    await expect.poll(() => page.getByRole('status').filter({ hasText: '已复制' }).count()).toBe(1)
    expect(await fake<string>(page, 'navigator.clipboard.readText()')).toBe('小美-老客，上次您买的防晒霜用得怎么样？这周到了新款精华，很适合换季。')
    expect(await fake<unknown[]>(page, "window.__wecomFake.calls.filter((c) => c.name === 'sendChatMessage')")).toEqual([])
  })

  it('explains in the form, before sending, an empty note and a next date out of range', async () => {
    const page = await openSidebar('seller', { customer: 'wmChen' })
    const posts: string[] = []
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().includes('/follow-ups')) posts.push(request.url())
    })
    const save = page.getByRole('button', { name: '保存' })
    await save.click({ timeout: 15_000 })
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('请先写下跟进记录')
    await page.getByLabel('跟进记录').fill('电话沟通')
    const localToday = await page.evaluate(() => new Intl.DateTimeFormat('en-CA').format(new Date()))
    await page.getByLabel('下次跟进').fill(addDays(localToday, -2))
    await save.click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('不能早于今天')
    await page.getByLabel('下次跟进').fill(addDays(localToday, 400))
    await save.click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('一年')
    expect(posts).toEqual([])
    expect(await page.getByText('电话沟通').count()).toBe(0)
  })
})
