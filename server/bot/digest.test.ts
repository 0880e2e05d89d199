import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { virtualClock } from '../../test/clock'
import { startWecomHarness, TEST_PUBLIC_URL, type WecomHarness } from '../../test/wecom'
import { query } from '../db/sql'
import { addDays, businessDate, startOfBusinessDay } from '../time'
import { planDailyDigest, ROBOT_MARKDOWN_MAX_BYTES } from './digest'
import { followUpStats } from './followUpStats'
import { markdownText, splitMessages, utf8Bytes } from './markdown'
import { Messenger, ROBOT_MESSAGES_PER_MINUTE } from './messenger'

const TZ = 'Asia/Shanghai'

/**
 * The test company (manager manages seller, colleague and operator) with follow-ups set so
 * that each figure of the digest has a known value; everything else is followed up and not due.
 */
async function seedFollowUps(harness: WecomHarness, now: Date) {
  const today = businessDate(now, TZ)
  const manager = harness.dataSource.manager
  const set = (customer: string, values: string, params: Record<string, unknown> = {}) =>
    query(
      manager,
      `UPDATE follow_relations SET ${values}
        WHERE customer_id = (SELECT id FROM customers WHERE external_userid = :customer)
          AND member_id <> (SELECT id FROM members WHERE userid = 'manager')`,
      { ...params, customer },
    )
  await query(manager, "UPDATE follow_relations SET next_follow_up_on = NULL, last_followed_up_at = :now, status = 'active', status_changed_at = NULL", { now })
  // seller: two overdue (wmXiaomei the longest, then wmBold), one due today, one new, one lost yesterday.
  await set('wmXiaomei', 'next_follow_up_on = :day', { day: addDays(today, -3) })
  await set('wmBold', 'next_follow_up_on = :day', { day: addDays(today, -1) })
  await set('wmChen', 'next_follow_up_on = :day', { day: today })
  await set('wmLin', 'added_at = :at, last_followed_up_at = NULL', { at: new Date(now.getTime() - 2 * 3_600_000) })
  await set('wmTony', "status = 'deleted_by_customer', status_changed_at = :at", { at: new Date(startOfBusinessDay(today, TZ).getTime() - 3_600_000) })
  // colleague: one customer added three days ago and never followed up.
  await set('wmUnicorn', 'added_at = :at, last_followed_up_at = NULL', { at: new Date(now.getTime() - 3 * 86_400_000) })
  return today
}

describe('the daily digest', () => {
  let harness: WecomHarness
  beforeEach(async () => {
    harness = await startWecomHarness({ synced: true })
  })
  afterEach(async () => harness.cleanup())

  it('counts overdue, due, new and lost per member in the business time zone', async () => {
    const now = new Date()
    const today = await seedFollowUps(harness, now)
    const stats = [...(await followUpStats(harness.dataSource.manager, { date: today, timeZone: TZ, now })).values()]
    const of = (userid: string) => stats.find((s) => s.userid === userid)
    expect(of('seller')).toMatchObject({ overdue: 2, dueToday: 1, newUnfollowed: 1, lostYesterday: 1, mostOverdue: ['小美-老客', '<b>老客</b>'] })
    expect(of('colleague')).toMatchObject({ overdue: 1, dueToday: 0, newUnfollowed: 0, lostYesterday: 0, mostOverdue: ['🦄测试𠮷'] })
    expect(of('operator')).toMatchObject({ overdue: 0, dueToday: 0, newUnfollowed: 0, lostYesterday: 0, mostOverdue: [] })
  })

  it("plans each manager's markdown, the salespeople's cards and the robot's digest", async () => {
    const now = new Date()
    const today = await seedFollowUps(harness, now)
    const planned = await planDailyDigest(harness.dataSource.manager, { date: today, timeZone: TZ, publicUrl: TEST_PUBLIC_URL, withCompanyRobot: true, now })
    // Every salesperson gets a card, with nothing due too.
    expect(planned.map((p) => p.key)).toEqual(['digest:manager#1', 'todo:colleague', 'todo:manager', 'todo:operator', 'todo:seller', 'robot#1'])
    const message = (key: string) => planned.find((p) => p.key === key)!.message

    const digest = message('digest:manager#1')
    if (digest.msgtype !== 'markdown') throw new Error('expected markdown')
    const lines = digest.markdown.content.split('\n')
    expect(lines[1]).toBe('逾期 3 · 今日到期 1 · 新客户待跟进 1 · 昨日流失 1')
    expect(lines.slice(2)).toEqual([
      '> **陈浩**：<font color="warning">逾期 2</font> · 今日 1 · 新客户 1 · 流失 1',
      // The remark's markup is shown, not obeyed.
      '> 最久未跟进：小美-老客、＜b＞老客＜/b＞',
      '> **刘怡**：<font color="warning">逾期 1</font> · 今日 0 · 新客户 0 · 流失 0',
      '> 最久未跟进：🦄测试𠮷',
      '> **孙薇**：逾期 0 · 今日 0 · 新客户 0 · 流失 0',
    ])

    const card = message('todo:seller')
    if (card.msgtype !== 'textcard') throw new Error('expected a textcard')
    expect(card.textcard).toMatchObject({ title: '今日跟进提醒', url: `${TEST_PUBLIC_URL}/sidebar/#/todo`, btntxt: '去跟进' })
    expect(card.textcard.description).toContain('今日到期 1 位客户')
    expect(card.textcard.description).toContain('已逾期 2 位客户')
    expect(card.textcard.description).toContain('&#60;b&#62;老客&#60;/b&#62;')

    const quiet = message('todo:operator')
    expect(quiet.msgtype === 'textcard' && quiet.textcard.description).toContain('今天没有要跟进的客户')

    const robot = message('robot#1')
    expect(robot.msgtype === 'markdown' && robot.markdown.content).toContain('> <@manager> 周琳团队 3 人：逾期 3 · 今日到期 1 · 新客户待跟进 1 · 昨日流失 1')
  })

  it('a digest made late for an earlier date reads as of the end of that day', async () => {
    const now = new Date()
    const today = await seedFollowUps(harness, now)
    const yesterday = addDays(today, -1)
    const stats = await followUpStats(harness.dataSource.manager, { date: yesterday, timeZone: TZ, now })
    const seller = [...stats.values()].find((s) => s.userid === 'seller')!
    // As of the end of yesterday: the follow-up due three days ago was overdue, the one due
    // yesterday was due that day, and the loss an hour before today began happened that day
    // itself, not the day before it.
    expect(seller).toMatchObject({ overdue: 1, dueToday: 1, lostYesterday: 0 })
  })
})

describe('markdown for WeCom', () => {
  it('neutralises markup and mentions in names', () => {
    const text = markdownText('<@all> [点我](http://evil.example) **粗**\n# 标题', 100)
    expect(text).toBe('＜@all＞ ［点我］（http://evil.example） ＊＊粗＊＊ ＃ 标题')
    expect(markdownText('一二三四五六七八九十', 5)).toBe('一二三四…')
  })

  it('splits at 4096 bytes without breaking a block, numbering the parts', () => {
    const blocks = Array.from({ length: 300 }, (_, i) => `> <@member${i}> 成员${i}团队 10 人：逾期 ${i} · 今日到期 1 · 新客户待跟进 2 · 昨日流失 0`)
    const parts = splitMessages('**团队跟进日报 · 11月23日**', blocks, ROBOT_MARKDOWN_MAX_BYTES)
    expect(parts.length).toBeGreaterThan(1)
    for (const part of parts) expect(utf8Bytes(part)).toBeLessThanOrEqual(ROBOT_MARKDOWN_MAX_BYTES)
    expect(parts[0]!.split('\n')[0]).toBe(`**团队跟进日报 · 11月23日**（1/${parts.length}）`)
    // Every block in exactly one part, in order.
    expect(parts.flatMap((part) => part.split('\n').slice(1))).toEqual(blocks)
    expect(splitMessages('头', ['一行'], ROBOT_MARKDOWN_MAX_BYTES)).toEqual(['头\n一行'])
  })
})

describe('the messenger', () => {
  let harness: WecomHarness
  afterEach(async () => harness.cleanup())

  it('paces the group robot at 20 messages a minute', async () => {
    const clock = virtualClock()
    harness = await startWecomHarness({ robotKey: 'robot-key-1', clock })
    const messenger = new Messenger(harness.wecom.client, harness.wecomConfig, clock)
    const started = clock.now()
    for (let i = 0; i < 45; i++) await messenger.sendRobot('robot-key-1', `第 ${i + 1} 条`)
    // The simulator enforces WeCom's limit: had we gone faster, it would have answered 45009.
    expect(harness.simulator.robotMessages).toHaveLength(45)
    const times = harness.simulator.robotMessages.map((m) => m.at)
    for (const at of times) expect(times.filter((t) => t >= at && t < at + 60_000).length).toBeLessThanOrEqual(ROBOT_MESSAGES_PER_MINUTE)
    expect(clock.now() - started).toBeGreaterThanOrEqual(120_000)
  })

  it('waits out a 45009 minute, then sends', async () => {
    const clock = virtualClock()
    harness = await startWecomHarness({ clock })
    // Two 45009s in a row: the client waits out each block, as long as a send may wait.
    harness.simulator.injectFault({ path: '/cgi-bin/message/send', errcode: 45009, times: 2 })
    const messenger = new Messenger(harness.wecom.client, harness.wecomConfig, clock)
    expect(await messenger.sendApp('seller', { msgtype: 'markdown', markdown: { content: '你好' } })).toBe('sent')
    expect(clock.slept).toEqual([60_000, 60_000])
    expect(harness.simulator.appMessages).toHaveLength(1)
  })

  it('reports a member WeCom does not know as invalid, and does not retry them', async () => {
    const clock = virtualClock()
    harness = await startWecomHarness({ clock })
    const messenger = new Messenger(harness.wecom.client, harness.wecomConfig, clock)
    expect(await messenger.sendApp('nobody-here', { msgtype: 'markdown', markdown: { content: '你好' } })).toBe('invalid')
    expect(harness.simulator.calls.filter((c) => c.path === '/cgi-bin/message/send')).toHaveLength(1)
    expect(clock.slept).toEqual([])
  })
})
