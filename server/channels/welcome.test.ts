import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ChannelRequest, ConsoleChannel, Panel } from '../api/contract'
import { query } from '../db/sql'
import { Channel, Tag, WelcomeSend } from '../entities'
import { createLogger } from '../logger'
import { jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { callsTo, startWecomHarness, TEST_PUBLIC_URL, type WecomHarness } from '../../test/wecom'
import { planDailyDigest } from '../bot/digest'
import { addDays, businessDate, zonedInstant } from '../time'
import { sendWelcome } from './welcome'

const SEND_WELCOME = '/cgi-bin/externalcontact/send_welcome_msg'
const MARK_TAG = '/cgi-bin/externalcontact/mark_tag'
/** A 1×1 PNG. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082', 'hex')

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(() => harness.cleanup())

const operator = async () => (await signedIn(harness, 'operator')).api

async function makeChannel(overrides: Partial<ChannelRequest> = {}): Promise<ConsoleChannel> {
  const skin = await harness.dataSource.getRepository(Tag).findOneByOrFail({ wecomTagId: 'etSkin' })
  const body: ChannelRequest = {
    name: '小红书笔记',
    platform: '小红书',
    members: ['seller'],
    skipVerify: true,
    tagIds: [skin.id],
    welcome: { text: '{{客户昵称}}你好，我是{{导购姓名}}～', link: { title: '新品手册', url: 'https://shop.example/new' }, imageId: null },
    note: '',
    ...overrides,
  }
  return jsonBody<ConsoleChannel>(await (await operator())('/api/console/channels', { method: 'POST', body: JSON.stringify(body) }), 201)
}
const configIdOf = async (channel: ConsoleChannel) => (await harness.dataSource.getRepository(Channel).findOneByOrFail({ id: channel.id })).configId!
const welcomesTo = (externalUserid: string) => harness.simulator.welcomeMessages.filter((w) => w.externalUserid === externalUserid)
const outcomes = async () => (await harness.dataSource.getRepository(WelcomeSend).find({ order: { id: 'ASC' } })).map((w) => [w.externalUserid, w.outcome])

describe(`arriving through a channel, on ${testDatabaseKind}`, () => {
  it("is welcomed with the names filled and the channel's link, tagged in WeCom and here, and attributed; handled twice, welcomed once", async () => {
    const channel = await makeChannel()
    await harness.simulator.customerScansContactWay({ configId: await configIdOf(channel), customer: { external_userid: 'wmScan1', name: '小红' } })
    expect(await harness.drainInbox()).toBe(1)

    const [welcome] = welcomesTo('wmScan1')
    expect(welcome).toMatchObject({ userid: 'seller' })
    expect(welcome!.body).toEqual({ text: { content: '小红你好，我是陈浩～' }, attachments: [{ msgtype: 'link', link: { title: '新品手册', url: 'https://shop.example/new' } }] })
    expect(await outcomes()).toEqual([['wmScan1', 'sent']])

    expect(callsTo(harness.simulator, MARK_TAG)).toHaveLength(1)
    expect(harness.simulator.company.follow('seller', 'wmScan1')!.tagIds).toContain('etSkin')
    const [follow] = await query<{ channel_id: number; first_channel_id: number; tags: number | string }>(
      harness.dataSource.manager,
      `SELECT f.channel_id, f.first_channel_id, (SELECT COUNT(*) FROM follow_tags t WHERE t.follow_relation_id = f.id) AS tags
         FROM follow_relations f JOIN customers c ON c.id = f.customer_id WHERE c.external_userid = 'wmScan1'`,
    )
    expect({ ...follow, tags: Number(follow!.tags) }).toEqual({ channel_id: channel.id, first_channel_id: channel.id, tags: 1 })

    // The sidebar names the channel and its platform, not the raw state.
    const panel = await jsonBody<Panel>(await (await signedIn(harness, 'seller')).api('/api/customers/wmScan1/panel'))
    expect(panel.follow.channel).toEqual({ name: '小红书笔记', platform: '小红书' })

    // The same event handled again (a retry, a second worker): no second welcome, no second mark.
    await query(harness.dataSource.manager, "UPDATE inbox_events SET status = 'pending', next_attempt_at = :now", { now: new Date(0) })
    await query(harness.dataSource.manager, 'DELETE FROM processor_steps')
    await harness.drainInbox()
    expect(callsTo(harness.simulator, SEND_WELCOME)).toHaveLength(1)
    expect(callsTo(harness.simulator, MARK_TAG)).toHaveLength(1)
  })

  it("names in the manager's digest the channels yesterday's new customers came through", async () => {
    const channel = await makeChannel({ tagIds: [] })
    for (const externalUserid of ['wmYesterday1', 'wmYesterday2']) {
      await harness.simulator.customerScansContactWay({ configId: await configIdOf(channel), customer: { external_userid: externalUserid, name: externalUserid } })
    }
    await harness.drainInbox()
    const today = businessDate(new Date(), 'Asia/Shanghai')
    await query(harness.dataSource.manager, "UPDATE follow_relations SET added_at = :at WHERE channel_id IS NOT NULL", { at: zonedInstant(addDays(today, -1), '10:00', 'Asia/Shanghai') })
    const planned = await planDailyDigest(harness.dataSource.manager, { date: today, timeZone: 'Asia/Shanghai', publicUrl: TEST_PUBLIC_URL, withCompanyRobot: false })
    const digest = planned.find((p) => p.key === 'digest:manager#1')!.message
    expect(digest.msgtype === 'markdown' && digest.markdown.content.split('\n')[2]).toBe('昨日新客来源：小红书笔记 2')
  })

  it('keeps the first channel and the latest', async () => {
    const [first, second] = [await makeChannel({ name: '抖音', platform: '抖音', tagIds: [] }), await makeChannel({ name: '门店', platform: '门店', tagIds: [] })]
    await harness.simulator.customerScansContactWay({ configId: await configIdOf(first), customer: { external_userid: 'wmTwice', name: '来了两次' } })
    await harness.drainInbox()
    await harness.simulator.memberDeletesCustomer({ userid: 'seller', externalUserid: 'wmTwice' })
    await harness.simulator.customerScansContactWay({ configId: await configIdOf(second), customer: { external_userid: 'wmTwice', name: '来了两次' } })
    await harness.drainInbox()
    const [follow] = await query<{ channel_id: number; first_channel_id: number }>(
      harness.dataSource.manager,
      "SELECT f.channel_id, f.first_channel_id FROM follow_relations f JOIN customers c ON c.id = f.customer_id WHERE c.external_userid = 'wmTwice'",
    )
    expect(follow).toEqual({ channel_id: second.id, first_channel_id: first.id })
  })

  it("carries an uploaded image, given to WeCom when it was saved", async () => {
    const api = await operator()
    const image = await jsonBody<{ id: number }>(await api('/api/console/media', { method: 'POST', body: PNG, headers: { 'content-type': 'image/png', 'x-file-name': encodeURIComponent('海报.png') } }), 201)
    const channel = await makeChannel({ welcome: { text: '你好', link: null, imageId: image.id } })
    expect(channel.welcome.image).toEqual({ id: image.id, fileName: '海报.png' })
    await harness.simulator.customerScansContactWay({ configId: await configIdOf(channel), customer: { external_userid: 'wmPoster', name: '看海报' } })
    await harness.drainInbox()
    const [welcome] = welcomesTo('wmPoster')
    expect(welcome!.body.attachments).toEqual([{ msgtype: 'image', image: { media_id: expect.any(String) } }])
  })

  it("an add through no channel gets the company's default welcome when there is one, else nothing", async () => {
    await harness.simulator.customerAddsMember({ userid: 'colleague', customer: { external_userid: 'wmPlain1', name: '路人' } })
    await harness.drainInbox()
    expect(welcomesTo('wmPlain1')).toEqual([])
    expect(await outcomes()).toEqual([['wmPlain1', 'none']])

    await jsonBody(await (await operator())('/api/console/welcome', { method: 'PUT', body: JSON.stringify({ text: '欢迎关注，我是{{导购姓名}}', link: null, imageId: null }) }))
    await harness.simulator.customerAddsMember({ userid: 'colleague', customer: { external_userid: 'wmPlain2', name: '路人乙' } })
    await harness.drainInbox()
    expect(welcomesTo('wmPlain2').map((w) => w.body.text)).toEqual([{ content: '欢迎关注，我是刘怡' }])
  })

  it('sends nothing when WeCom gives no code (a welcome configured in WeCom itself)', async () => {
    harness.simulator.company.users.get('seller')!.adminWelcome = true
    const channel = await makeChannel({ tagIds: [] })
    await harness.simulator.customerScansContactWay({ configId: await configIdOf(channel), customer: { external_userid: 'wmAdminWelcome', name: '有欢迎语' } })
    await harness.drainInbox()
    expect(callsTo(harness.simulator, SEND_WELCOME)).toHaveLength(0)
    expect(await outcomes()).toEqual([])
  })

  it("a chat-archive member's welcome waits for the customer's agreement, then goes out once with WeCom's fresh code", async () => {
    harness.simulator.company.users.get('seller')!.msgAudit = true
    const channel = await makeChannel({ tagIds: [] })
    await harness.simulator.customerScansContactWay({ configId: await configIdOf(channel), customer: { external_userid: 'wmArchive', name: '小档' } })
    await harness.drainInbox()
    expect(welcomesTo('wmArchive')).toEqual([])
    expect(await outcomes()).toEqual([['wmArchive', 'awaiting_consent']])

    await harness.simulator.customerApprovesMsgAudit({ userid: 'seller', externalUserid: 'wmArchive' })
    await harness.drainInbox()
    expect(welcomesTo('wmArchive').map((w) => w.body.text)).toEqual([{ content: '小档你好，我是陈浩～' }])
    expect(await outcomes()).toEqual([['wmArchive', 'awaiting_consent'], ['wmArchive', 'sent']])

    // An agreement with nothing held back (a second one, or one for a customer welcomed already) sends nothing.
    harness.simulator.company.follow('seller', 'wmArchive')!.auditApproved = false
    await harness.simulator.customerApprovesMsgAudit({ userid: 'seller', externalUserid: 'wmArchive' })
    await harness.drainInbox()
    expect(callsTo(harness.simulator, SEND_WELCOME)).toHaveLength(2)
  })
})

describe(`the welcome's window, on ${testDatabaseKind}`, () => {
  const logger = createLogger('silent')
  const event = (eventId: number, createTime: number, welcomeCode = 'WELCOMECODE') => ({ eventId, userId: 'seller', externalUserId: 'wmXiaomei', welcomeCode, createTime })
  beforeEach(async () => {
    await jsonBody(await (await operator())('/api/console/welcome', { method: 'PUT', body: JSON.stringify({ text: '你好', link: null, imageId: null }) }))
  })

  it('is never sent past its 20 s, and that is counted as missed', async () => {
    const outcome = await sendWelcome(harness.dataSource, harness.wecom.client, logger, event(9001, Math.floor(Date.now() / 1000) - 21))
    expect(outcome).toBe('missed')
    expect(callsTo(harness.simulator, SEND_WELCOME)).toHaveLength(0)
    const metrics = await (await fetch(`${harness.server!.url}/metrics`)).text()
    expect(metrics).toMatch(/welcomes_total\{outcome="missed"\} [1-9]/)
  })

  it('41051 (already chatting, or another app sent it) is final; 41096 is tried once more inside the window', async () => {
    harness.simulator.injectFault({ path: SEND_WELCOME, errcode: 41051, times: 1 })
    expect(await sendWelcome(harness.dataSource, harness.wecom.client, logger, event(9002, Math.floor(Date.now() / 1000)))).toBe('taken')
    expect(callsTo(harness.simulator, SEND_WELCOME)).toHaveLength(1)

    // A real code for the retry to use.
    await harness.simulator.customerAddsMember({ userid: 'seller', customer: { external_userid: 'wmRetry', name: '重试' } })
    const code = [...harness.simulator.company.welcomeCodes.values()].find((c) => c.external_userid === 'wmRetry')!
    harness.simulator.injectFault({ path: SEND_WELCOME, errcode: 41096, times: 1 })
    const outcome = await sendWelcome(harness.dataSource, harness.wecom.client, logger, { ...event(9003, code.createTime, code.welcome_code), externalUserId: 'wmRetry' })
    expect(outcome).toBe('sent')
    expect(callsTo(harness.simulator, SEND_WELCOME)).toHaveLength(3)
  })
})
