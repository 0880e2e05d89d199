import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { IsNull } from 'typeorm'
import { ActivityLog, FollowRelation, GroupChat, InboxEvent, ManagerLink, Member, ProcessorStep, Tag } from '../entities'
import { Messenger } from '../bot/messenger'
import { metricsRegistry } from '../metrics'
import { createRefresher } from '../mirror/refresh'
import { createProcessorRegistry, PROCESSORS } from '../processors'
import { defineProcessor } from '../processors/processor'
import { fullSync } from '../sync/fullSync'
import { testDatabaseKind } from '../../test/database'
import { callsTo, startWecomHarness, TEST_CREDENTIALS, type WecomHarness } from '../../test/wecom'
import { createDispatcher } from './dispatcher'
import { journalCallback } from './journal'
import { claimDueEvents, MAX_ATTEMPTS, processInboxEvent, type InboxHandler } from './worker'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true })
  await fullSync(harness.dataSource, harness.wecom.client, { logger: harness.logger })
})
afterEach(() => harness.cleanup())

const event = (body: string, createTime: number) =>
  `<xml><ToUserName><![CDATA[${TEST_CREDENTIALS.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType>${body}</xml>`
const contactEvent = (changeType: string, userid: string, externalUserid: string, createTime: number) =>
  event(
    `<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[${changeType}]]></ChangeType><UserID><![CDATA[${userid}]]></UserID><ExternalUserID><![CDATA[${externalUserid}]]></ExternalUserID>`,
    createTime,
  )

/** Everything processors write, in a stable order: two equal snapshots mean the same state. */
async function snapshot(): Promise<string> {
  const q = (sql: string) => harness.dataSource.query(sql)
  const tables = await Promise.all([
    q('SELECT external_userid, name, unionid FROM customers ORDER BY external_userid'),
    q('SELECT m.userid, c.external_userid, f.remark, f.status, f.state FROM follow_relations f JOIN members m ON m.id = f.member_id JOIN customers c ON c.id = f.customer_id ORDER BY m.userid, c.external_userid'),
    q('SELECT f.follow_relation_id, t.wecom_tag_id FROM follow_tags f JOIN tags t ON t.id = f.tag_id ORDER BY 1, 2'),
    q('SELECT wecom_tag_id, name FROM tags ORDER BY wecom_tag_id'),
    q('SELECT userid, name, status FROM members ORDER BY userid'),
    q('SELECT member_id, manager_id FROM manager_links ORDER BY 1, 2'),
    q('SELECT chat_id, status FROM group_chats ORDER BY chat_id'),
  ])
  return JSON.stringify(tables)
}

async function followOf(userid: string, externalUserid: string): Promise<FollowRelation> {
  return harness.dataSource
    .getRepository(FollowRelation)
    .createQueryBuilder('f')
    .innerJoin('members', 'm', 'm.id = f.member_id')
    .innerJoin('customers', 'c', 'c.id = f.customer_id')
    .where('m.userid = :userid AND c.external_userid = :externalUserid', { userid, externalUserid })
    .getOneOrFail()
}

/** Runs every processor on every inbox row once more, as after a crash that lost the recorded steps. */
async function handleAllAgain(): Promise<void> {
  await harness.dataSource.query('DELETE FROM processor_steps')
  for (const row of await harness.dataSource.getRepository(InboxEvent).find({ order: { id: 'ASC' } })) await harness.handle(row)
}

const GET_CUSTOMER = '/cgi-bin/externalcontact/get'
const SEND = '/cgi-bin/message/send'

/** The steps recorded for an inbox row, as processor → outcome. */
async function stepsOf(inboxEventId: number): Promise<Record<string, string>> {
  const steps = await harness.dataSource.getRepository(ProcessorStep).findBy({ inboxEventId })
  return Object.fromEntries(steps.map((step) => [step.processor, step.outcome]))
}

/** One worker attempt at every due row, as the inbox worker makes them. */
async function attempt(handle: InboxHandler = harness.handle): Promise<void> {
  for (const row of await claimDueEvents(harness.dataSource.manager, 50, 60_000)) {
    await processInboxEvent(row, { dataSource: harness.dataSource, handle, logger: harness.logger, retryBaseMs: 60_000 })
  }
}

/** The back-off of every pending row elapsed. */
const retryDue = () => harness.dataSource.getRepository(InboxEvent).update({ status: 'pending' }, { nextAttemptAt: new Date(0) })

async function failedAttempts(processor: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('inbox_failed_attempts_total')!.get()
  return metric.values.find((value) => value.labels.processor === processor)?.value ?? 0
}

/**
 * A welcome processor with a deadline, as the welcome message of a later issue will be: it
 * sends the member an app message through the real messenger, so the simulator records it.
 */
function welcomeRegistry() {
  const messenger = new Messenger(harness.wecom.client, harness.wecomConfig)
  const welcome = defineProcessor({
    name: 'test-welcome',
    handles: { change_external_contact: ['add_external_contact'] },
    deadlineMs: 20_000,
    create: () => async (event) => {
      await messenger.sendApp(event.userId, { msgtype: 'markdown', markdown: { content: `欢迎 ${event.externalUserId}` } })
      return 'done'
    },
  })
  return createProcessorRegistry(
    { dataSource: harness.dataSource, client: harness.wecom.client, refresher: createRefresher(harness.dataSource, harness.wecom.client, harness.logger), logger: harness.logger },
    [welcome, ...PROCESSORS],
  )
}
const welcomesSent = () => harness.simulator.appMessages.filter((m) => (m.body.markdown as { content?: string } | undefined)?.content?.startsWith('欢迎'))

describe(`processors on ${testDatabaseKind}`, () => {
  it('a customer adding a member: customer, follow and tags, the same when handled twice', async () => {
    expect(await harness.simulator.customerAddsMember({ userid: 'operator', customer: { external_userid: 'wmFresh', name: '新朋友🎈' }, state: 'poster' })).toBe(200)
    await harness.simulator.memberEditsCustomer({ userid: 'operator', externalUserid: 'wmFresh', remark: '海报来的', addTagIds: ['etVip', 'etSkin'] })
    expect(await harness.drainInbox()).toBe(2)
    const follow = await followOf('operator', 'wmFresh')
    expect(follow).toMatchObject({ status: 'active', remark: '海报来的', state: 'poster' })
    const tags: { wecom_tag_id: string }[] = await harness.dataSource.query(
      'SELECT t.wecom_tag_id FROM follow_tags f JOIN tags t ON t.id = f.tag_id WHERE f.follow_relation_id = ? ORDER BY 1',
      [follow.id],
    )
    expect(tags.map((t) => t.wecom_tag_id)).toEqual(['etSkin', 'etVip'])

    const once = await snapshot()
    await handleAllAgain()
    expect(await snapshot()).toBe(once)
  })

  it('follows a customer’s followers through every page of externalcontact/get', async () => {
    for (const userid of ['seller', 'colleague', 'operator', 'manager']) {
      await harness.simulator.customerAddsMember({ userid, customer: { external_userid: 'wmPopular', name: '人气王' } })
    }
    await harness.drainInbox()
    const gets = harness.simulator.calls.filter((call) => call.path === '/cgi-bin/externalcontact/get')
    expect(gets.some((call) => call.query.cursor)).toBe(true)
    const [{ n }] = await harness.dataSource.query(
      "SELECT COUNT(*) AS n FROM follow_relations f JOIN customers c ON c.id = f.customer_id WHERE c.external_userid = 'wmPopular' AND f.status = 'active'",
    )
    expect(Number(n)).toBe(4)
  })

  it('a customer deleting a member leaves a readable one-way follow, marked deleted by the customer', async () => {
    await harness.simulator.customerDeletesMember({ userid: 'seller', externalUserid: 'wmXiaomei' })
    await harness.drainInbox()
    expect((await followOf('seller', 'wmXiaomei')).status).toBe('deleted_by_customer')
    // A later edit re-reads WeCom, which still lists the one-way follow: the status stays.
    await harness.simulator.memberEditsCustomer({ userid: 'seller', externalUserid: 'wmXiaomei', remark: '已删我' })
    await harness.drainInbox()
    expect(await followOf('seller', 'wmXiaomei')).toMatchObject({ status: 'deleted_by_customer', remark: '已删我' })
    const once = await snapshot()
    await handleAllAgain()
    expect(await snapshot()).toBe(once)
  })

  it('a member deleting a customer, then the customer re-adding them: any order ends active', async () => {
    const t = Math.floor(Date.now() / 1000)
    const deleted = contactEvent('del_external_contact', 'colleague', 'wmUnicorn', t - 60)
    const readded = contactEvent('add_external_contact', 'colleague', 'wmUnicorn', t)
    // WeCom's state after both: the follow exists. Deliver the newer event first.
    await journalCallback(harness.dataSource, readded)
    await harness.drainInbox()
    await journalCallback(harness.dataSource, deleted)
    await harness.drainInbox()
    expect((await followOf('colleague', 'wmUnicorn')).status).toBe('active')
  })

  it('the customer re-adding, then the member deleting: any order ends deleted', async () => {
    const t = Math.floor(Date.now() / 1000)
    await harness.simulator.memberDeletesCustomer({ userid: 'operator', externalUserid: 'wmLily' })
    await harness.dataSource.query('DELETE FROM inbox_events')
    const deleted = contactEvent('del_external_contact', 'operator', 'wmLily', t)
    const earlierAdd = contactEvent('add_external_contact', 'operator', 'wmLily', t - 60)
    await journalCallback(harness.dataSource, deleted)
    await harness.drainInbox()
    await journalCallback(harness.dataSource, earlierAdd)
    await harness.drainInbox()
    expect((await followOf('operator', 'wmLily')).status).toBe('deleted_by_member')
  })

  it('a customer no member follows any more (84061): its follows end deleted by the member', async () => {
    await harness.simulator.memberDeletesCustomer({ userid: 'colleague', externalUserid: 'wmZhen' })
    await harness.dataSource.query('DELETE FROM inbox_events')
    await journalCallback(harness.dataSource, contactEvent('edit_external_contact', 'colleague', 'wmZhen', Math.floor(Date.now() / 1000)))
    await harness.drainInbox()
    expect((await followOf('colleague', 'wmZhen')).status).toBe('deleted_by_member')
  })

  it('tag changes in the admin console mirror WeCom’s tags, links included', async () => {
    await harness.simulator.adminCreatesTag({ groupName: '客户等级', tagName: '黑卡会员' })
    await harness.simulator.adminRenamesTag({ tagId: 'etNormal', name: '普通会员' })
    await harness.simulator.adminDeletesTag({ tagId: 'etVip' })
    expect(await harness.drainInbox()).toBe(3)
    const tags = await harness.dataSource.getRepository(Tag).find()
    expect(tags.map((t) => t.name)).toContain('黑卡会员')
    expect(tags.find((t) => t.wecomTagId === 'etNormal')?.name).toBe('普通会员')
    expect(tags.find((t) => t.wecomTagId === 'etVip')).toBeUndefined()
    const [{ n }] = await harness.dataSource.query("SELECT COUNT(*) AS n FROM follow_tags f LEFT JOIN tags t ON t.id = f.tag_id WHERE t.id IS NULL")
    expect(Number(n)).toBe(0)
    const once = await snapshot()
    await handleAllAgain()
    expect(await snapshot()).toBe(once)
  })

  it('member changes keep members, departments and managers current', async () => {
    const members = harness.dataSource.getRepository(Member)
    await harness.simulator.adminUpdatesMember({ userid: 'seller', name: '陈浩然', directLeader: ['colleague'] })
    await harness.simulator.adminCreatesMember({ userid: 'newbie', name: '新人', department: [2], isLeaderInDept: [0], mainDepartment: 2 })
    await harness.simulator.adminDeletesMember({ userid: 'operator' })
    expect(await harness.drainInbox()).toBe(3)
    const byUserid = new Map((await members.find()).map((m) => [m.userid, m]))
    expect(byUserid.get('seller')?.name).toBe('陈浩然')
    expect(byUserid.get('operator')?.status).toBe(5)
    const links = await harness.dataSource.getRepository(ManagerLink).find()
    const managerOf = (userid: string) => links.filter((l) => l.memberId === byUserid.get(userid)!.id).map((l) => l.managerId)
    expect(managerOf('seller')).toEqual([byUserid.get('colleague')!.id])
    expect(managerOf('newbie')).toEqual([byUserid.get('manager')!.id])
    const once = await snapshot()
    await handleAllAgain()
    expect(await snapshot()).toBe(once)
  })

  it('group-chat events are recorded, and an older one arriving late changes nothing', async () => {
    const chat = (changeType: string, createTime: number) =>
      event(`<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[wrChat1]]></ChatId><ChangeType><![CDATA[${changeType}]]></ChangeType>`, createTime)
    await journalCallback(harness.dataSource, chat('dismiss', 2000))
    await journalCallback(harness.dataSource, chat('create', 1000))
    await harness.drainInbox()
    expect(await harness.dataSource.getRepository(GroupChat).findOneByOrFail({ chatId: 'wrChat1' })).toMatchObject({ status: 'dismissed', lastChange: 'dismiss' })
  })

  it('records a failed transfer in the activity log', async () => {
    await journalCallback(
      harness.dataSource,
      event(
        '<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[transfer_fail]]></ChangeType><FailReason><![CDATA[customer_refused]]></FailReason><UserID><![CDATA[colleague]]></UserID><ExternalUserID><![CDATA[wmUnicorn]]></ExternalUserID>',
        1795400000,
      ),
    )
    await harness.drainInbox()
    const [entry] = await harness.dataSource.getRepository(ActivityLog).findBy({ action: 'transfer_fail' })
    expect(JSON.parse(entry!.detail)).toEqual({ userid: 'colleague', externalUserid: 'wmUnicorn', reason: 'customer_refused' })
  })

  it('marks events no processor handles ignored, keeping them in the inbox', async () => {
    await journalCallback(harness.dataSource, event('<Event><![CDATA[kf_msg_or_event]]></Event><Token>x</Token>', 1))
    await journalCallback(harness.dataSource, '<xml><MsgType>text</MsgType><Content>你好</Content></xml>')
    // An address-book tag: a known event, but not a customer tag, so no processor's.
    await journalCallback(harness.dataSource, event('<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_tag]]></ChangeType><TagId>1</TagId>', 2))
    await harness.drainInbox()
    const rows = await harness.dataSource.getRepository(InboxEvent).find()
    expect(rows.map((row) => row.status)).toEqual(['ignored', 'ignored', 'ignored'])
    expect(await harness.dataSource.getRepository(ProcessorStep).count()).toBe(0)
  })

  it('records each step, and a failed step retries alone: the mirror is not run again', async () => {
    // A customer deleting a member we never heard of: the mirror reads the customer first.
    await harness.simulator.customerAddsMember({ userid: 'colleague', customer: { external_userid: 'wmGone', name: '走了' } })
    await harness.dataSource.query('DELETE FROM inbox_events')
    await harness.simulator.customerDeletesMember({ userid: 'colleague', externalUserid: 'wmGone' })
    const [row] = await harness.dataSource.getRepository(InboxEvent).find()
    harness.simulator.injectFault({ path: SEND, errcode: 40003, times: 1 })

    const failuresBefore = await failedAttempts('loss-alert')
    await attempt()
    const failed = await harness.dataSource.getRepository(InboxEvent).findOneByOrFail({ id: row!.id })
    expect(failed.status).toBe('pending')
    expect(failed.lastError).toMatch(/^loss-alert: Error: loss alert failed for 1 of 2 recipients/)
    expect(await failedAttempts('loss-alert')).toBe(failuresBefore + 1)
    // The mirror and order matching (which does not depend on the alert) are done.
    expect(await stepsOf(row!.id)).toEqual({ 'contact-mirror': 'done', 'order-matching': 'done' })
    const reads = callsTo(harness.simulator, GET_CUSTOMER).length
    expect(reads).toBeGreaterThan(0)

    await retryDue()
    await attempt()
    expect(await harness.dataSource.getRepository(InboxEvent).findOneByOrFail({ id: row!.id })).toMatchObject({ status: 'done', lastError: null })
    expect(await stepsOf(row!.id)).toEqual({ 'contact-mirror': 'done', 'order-matching': 'done', 'loss-alert': 'done' })
    // No second read of the customer; only the refused message was sent again.
    expect(callsTo(harness.simulator, GET_CUSTOMER)).toHaveLength(reads)
    expect(callsTo(harness.simulator, SEND)).toHaveLength(3)
  })

  it('a dead letter names the processor that failed; the steps after it never ran', async () => {
    harness.simulator.injectFault({ path: GET_CUSTOMER, errcode: 60011 })
    await harness.simulator.customerAddsMember({ userid: 'operator', customer: { external_userid: 'wmUnreadable', name: '读不到' } })
    const [row] = await harness.dataSource.getRepository(InboxEvent).find()
    await attempt()
    expect(await harness.dataSource.getRepository(InboxEvent).findOneByOrFail({ id: row!.id })).toMatchObject({ status: 'pending', attempts: 1 })
    // The last try.
    await harness.dataSource.getRepository(InboxEvent).update(row!.id, { attempts: MAX_ATTEMPTS - 1, nextAttemptAt: new Date(0) })
    await attempt()
    const dead = await harness.dataSource.getRepository(InboxEvent).findOneByOrFail({ id: row!.id })
    expect(dead.status).toBe('dead')
    expect(dead.lastError).toMatch(/^contact-mirror: WecomApiError: .*60011/)
    // Order matching waits for the mirror: it has no step, and did not fail on its own. The
    // welcome, a deadline processor, ran first (no welcome is configured: nothing to send).
    expect(await stepsOf(row!.id)).toEqual({ welcome: 'done' })
    expect(dead.lastError).not.toContain('order-matching')
  })

  it('a deadline processor runs first and is not held up by a failing mirror step', async () => {
    const registry = welcomeRegistry()
    const handle = createDispatcher(harness.dataSource, registry)
    harness.simulator.injectFault({ path: GET_CUSTOMER, errcode: 60011 })
    await journalCallback(harness.dataSource, contactEvent('add_external_contact', 'operator', 'wmWelcome', Math.floor(Date.now() / 1000)), new Date(), { deadlines: registry.deadlines })
    const [row] = await harness.dataSource.getRepository(InboxEvent).find()
    await attempt(handle)
    expect(welcomesSent().map((m) => m.recipients)).toEqual([['operator']])
    // The product's own welcome asks nothing of an add without a WelcomeCode.
    expect(await stepsOf(row!.id)).toEqual({ 'test-welcome': 'done', welcome: 'ignored' })
    expect((await harness.dataSource.getRepository(InboxEvent).findOneByOrFail({ id: row!.id })).lastError).toMatch(/^contact-mirror: /)

    // WeCom answers again: the retry runs the mirror and what follows it, not the welcome.
    harness.simulator.clearFaults()
    await retryDue()
    await attempt(handle)
    expect(welcomesSent()).toHaveLength(1)
    expect(await stepsOf(row!.id)).toEqual({ 'test-welcome': 'done', welcome: 'ignored', 'contact-mirror': 'done', 'order-matching': 'ignored', 'channel-arrival': 'ignored' })
    expect((await harness.dataSource.getRepository(InboxEvent).findOneByOrFail({ id: row!.id })).status).toBe('done')
  })

  it('claims an event with a deadline in the first round, with 500 ordinary events pending before it', async () => {
    const registry = welcomeRegistry()
    const { deadlines } = registry
    const receivedAt = new Date(Date.now() - 60_000)
    for (let n = 1; n <= 500; n++) {
      await journalCallback(harness.dataSource, event(`<Event><![CDATA[change_external_tag]]></Event><ChangeType><![CDATA[update]]></ChangeType><Id><![CDATA[et${n}]]></Id>`, n), receivedAt, { deadlines })
    }
    const journaledAt = new Date()
    await journalCallback(harness.dataSource, contactEvent('add_external_contact', 'operator', 'wmUrgent', Math.floor(Date.now() / 1000)), journaledAt, { deadlines })
    const urgent = await harness.dataSource.getRepository(InboxEvent).findOneByOrFail({ changeType: 'add_external_contact' })
    expect(urgent.deadlineAt!.getTime()).toBe(journaledAt.getTime() + 20_000)
    expect(await harness.dataSource.getRepository(InboxEvent).countBy({ deadlineAt: IsNull(), changeType: 'update' })).toBe(500)

    const [first, ...rest] = await claimDueEvents(harness.dataSource.manager, 20, 60_000)
    expect(first!.id).toBe(urgent.id)
    expect(rest).toHaveLength(19)
    expect(rest.every((row) => row.deadlineAt === null)).toBe(true)
  })
})
