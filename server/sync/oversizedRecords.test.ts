import { afterEach, describe, expect, it } from 'vitest'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, TEST_CREDENTIALS, type WecomHarness } from '../../test/wecom'
import { createRefresher } from '../mirror/refresh'
import { Customer, FollowRelation, GroupChat, InboxEvent, Member } from '../entities'
import { createDispatcher } from '../inbox/dispatcher'
import { createProcessorRegistry } from '../processors'
import { journalCallback } from '../inbox/journal'
import { createLogger } from '../logger'
import { newCustomer, newFollow, newUser } from '../../simulator/api/state'
import { fullSync } from './fullSync'

let harness: WecomHarness | undefined
afterEach(async () => {
  await harness?.cleanup()
  harness = undefined
})

/** A logger whose warn lines the test reads. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = []
  return { lines, logger: createLogger('warn', { write: (line: string) => void lines.push(JSON.parse(line)) }) }
}

const EMOJI_NAME = '😀'.repeat(1000)
const LONG_AVATAR = `https://wework.qpic.cn/wwhead/${'a'.repeat(600)}/0`
const LONG_CJK = '长'.repeat(300)
const LONG_ID = `wm${'k'.repeat(80)}`
const LONG_USERID = `u${'x'.repeat(80)}`
const codePoints = (text: string) => [...text]

/**
 * The test company plus what WeCom may send that does not fit our columns or our reading
 * of its shapes, all followed by seller. Written into the simulator's state directly:
 * WeCom's own limits are not ours to trust.
 */
function addHostileRecords(h: WecomHarness) {
  const company = h.simulator.company
  const now = Math.floor(Date.now() / 1000)
  const customers = [
    newCustomer({ external_userid: 'wmEmoji', name: EMOJI_NAME, avatar: LONG_AVATAR }),
    newCustomer({ external_userid: 'wmAvatar', name: '头像长', avatar: LONG_AVATAR }),
    newCustomer({ external_userid: 'wmCorp', name: '企业客户', type: 2, corp_name: LONG_CJK, corp_full_name: LONG_CJK, position: LONG_CJK }),
    newCustomer({ external_userid: 'wmUnion', name: '长unionid', unionid: `o${'u'.repeat(80)}` }),
    newCustomer({ external_userid: LONG_ID, name: 'id太长' }),
    { ...newCustomer({ external_userid: 'wmNoName', name: '' }), name: undefined as unknown as string },
    { ...newCustomer({ external_userid: 'wmNumberName', name: '' }), name: 12345 as unknown as string },
  ]
  for (const customer of customers) {
    company.customers.set(customer.external_userid, customer)
    company.putFollow(newFollow({ userid: 'seller', external_userid: customer.external_userid }, now))
  }
  const follow = company.follow('seller', 'wmAvatar')!
  Object.assign(follow, { remark: LONG_CJK, description: '述'.repeat(2000), remark_corp_name: LONG_CJK, state: `c${'s'.repeat(200)}`, oper_userid: LONG_USERID })

  const group = [...company.tagGroups.values()][0]!
  group.group_name = '组'.repeat(100)
  company.tags.set('etLongName', { id: 'etLongName', group_id: group.group_id, name: '签'.repeat(100), create_time: now, order: 0 })
  company.tags.set('etNumberName', { id: 'etNumberName', group_id: group.group_id, name: 7 as unknown as string, create_time: now, order: 0 })
  follow.tagIds.push('etLongName')

  company.users.get('colleague')!.name = '名'.repeat(100)
  company.users.get('colleague')!.avatar = LONG_AVATAR
  company.users.set(LONG_USERID, newUser({ userid: LONG_USERID, name: 'userid太长' }))
  company.departments.get(2)!.name = '部'.repeat(100)
}

const customer = (externalUserid: string) => harness!.dataSource.getRepository(Customer).findOneBy({ externalUserid })

/** Warnings about what was cut or skipped, as (entity, field or reason). */
const fitWarnings = (lines: Record<string, unknown>[]) => lines.filter((line) => line.entity).map((line) => `${line.entity} ${line.field ?? 'skipped'}`)

describe(`WeCom records that do not fit, on ${testDatabaseKind}`, () => {
  it('a full sync stores what fits, skips what it cannot read, logs each kind once, and reruns cleanly', async () => {
    harness = await startWecomHarness()
    addHostileRecords(harness)
    const { logger, lines } = capturingLogger()

    const first = await fullSync(harness.dataSource, harness.wecom.client, { logger })
    // The test company's 11 customers and the four that fit once cut.
    expect(first.customers.created).toBe(15)

    const emoji = (await customer('wmEmoji'))!
    expect(codePoints(emoji.name)).toHaveLength(255)
    expect(EMOJI_NAME.startsWith(emoji.name)).toBe(true)
    expect(emoji.name).not.toContain('\ufffd')
    expect(emoji.avatar).toBe(LONG_AVATAR.slice(0, 512))
    expect(await customer('wmCorp')).toMatchObject({ corpName: LONG_CJK.slice(0, 255), corpFullName: LONG_CJK.slice(0, 255), position: LONG_CJK.slice(0, 255) })
    // An id is never cut: a cut one could be another customer's.
    expect(await customer('wmUnion')).toMatchObject({ name: '长unionid', unionid: null })
    expect(await harness.dataSource.query("SELECT i.value FROM customer_identities i JOIN customers c ON c.id = i.customer_id WHERE c.external_userid = 'wmUnion'")).toEqual([])
    for (const skipped of [LONG_ID, 'wmNoName', 'wmNumberName']) expect(await customer(skipped)).toBeNull()

    const follow = await harness.dataSource
      .getRepository(FollowRelation)
      .createQueryBuilder('f')
      .innerJoin('customers', 'c', 'c.id = f.customer_id')
      .where("c.external_userid = 'wmAvatar'")
      .getOneOrFail()
    expect(follow).toMatchObject({ remark: LONG_CJK.slice(0, 255), description: '述'.repeat(1024), remarkCorpName: LONG_CJK.slice(0, 255), state: '', operUserid: '' })
    const tags: { name: string }[] = await harness.dataSource.query('SELECT t.name FROM follow_tags f JOIN tags t ON t.id = f.tag_id WHERE f.follow_relation_id = ?', [follow.id])
    expect(tags).toEqual([{ name: '签'.repeat(64) }])
    expect(await harness.dataSource.query("SELECT name FROM tags WHERE wecom_tag_id = 'etNumberName'")).toEqual([])
    expect(await harness.dataSource.query("SELECT name FROM tag_groups WHERE name LIKE '组%'")).toEqual([{ name: '组'.repeat(64) }])
    expect(await harness.dataSource.getRepository(Member).findOneByOrFail({ userid: 'colleague' })).toMatchObject({ name: '名'.repeat(64), avatar: LONG_AVATAR.slice(0, 512) })
    expect(await harness.dataSource.getRepository(Member).findOneBy({ userid: LONG_USERID })).toBeNull()
    expect(await harness.dataSource.query('SELECT name FROM departments WHERE id = 2')).toEqual([{ name: '部'.repeat(64) }])

    // One line per kind, naming the record and the field, never the value.
    const warnings = fitWarnings(lines)
    expect(warnings).toEqual([...new Set(warnings)])
    for (const kind of ['customer avatar', 'customer name', 'customer corpName', 'customer position', 'customer unionid', 'customer skipped', 'follow remark', 'follow state', 'tag name', 'tag skipped', 'tag group name', 'member name', 'member skipped', 'department name']) {
      expect(warnings).toContain(kind)
    }
    const logged = JSON.stringify(lines)
    expect(logged).not.toContain('aaaaaaaaaa')
    expect(logged).not.toContain('😀😀')
    expect(logged).not.toContain('长长长')

    // A customer we stored, now sent in a shape we cannot read: kept as we have it.
    harness.simulator.company.customers.get('wmAvatar')!.name = null as unknown as string
    const again = await fullSync(harness.dataSource, harness.wecom.client, { logger })
    expect(again.customers).toEqual({ created: 0, updated: 0, removed: 0 })
    expect(again.follows).toEqual({ created: 0, updated: 0, removed: 0 })
    expect(await customer('wmAvatar')).toMatchObject({ name: '头像长' })
    // Its follow was listed, so it is not taken for deleted.
    expect(await harness.dataSource.getRepository(FollowRelation).countBy({ status: 'deleted_by_member' })).toBe(0)
  })

  it('processors store what fits and finish the event when a record cannot be read', async () => {
    harness = await startWecomHarness({ serve: true })
    await fullSync(harness.dataSource, harness.wecom.client, { logger: harness.logger })
    const { logger, lines } = capturingLogger()
    const handle = createDispatcher(harness.dataSource, createProcessorRegistry({ dataSource: harness.dataSource, client: harness.wecom.client, refresher: createRefresher(harness.dataSource, harness.wecom.client, logger), logger }))

    expect(await harness.simulator.customerAddsMember({ userid: 'operator', customer: { external_userid: 'wmEventEmoji', name: EMOJI_NAME, avatar: LONG_AVATAR, unionid: `o${'u'.repeat(80)}` } })).toBe(200)
    Object.assign(harness.simulator.company.customers.get('wmEventEmoji')!, { type: 2, corp_name: LONG_CJK, position: LONG_CJK })
    expect(await harness.simulator.customerAddsMember({ userid: 'operator', customer: { external_userid: 'wmEventBad', name: '坏' } })).toBe(200)
    harness.simulator.company.customers.get('wmEventBad')!.name = 42 as unknown as string
    // A follow we have, now in a shape we cannot read: listed all the same, so not deleted.
    expect(await harness.simulator.memberEditsCustomer({ userid: 'seller', externalUserid: 'wmXiaomei' })).toBe(200)
    harness.simulator.company.follow('seller', 'wmXiaomei')!.remark = 42 as unknown as string
    const chatEvent = `<xml><ToUserName><![CDATA[${TEST_CREDENTIALS.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[wr${'c'.repeat(80)}]]></ChatId><ChangeType><![CDATA[create]]></ChangeType></xml>`
    await journalCallback(harness.dataSource, chatEvent)

    const outcomes = []
    for (const row of await harness.dataSource.getRepository(InboxEvent).find({ order: { id: 'ASC' } })) outcomes.push(await handle(row))
    expect(outcomes).toEqual(['done', 'done', 'done', 'ignored'])

    const stored = (await customer('wmEventEmoji'))!
    expect(codePoints(stored.name)).toHaveLength(255)
    expect(EMOJI_NAME.startsWith(stored.name)).toBe(true)
    expect(stored).toMatchObject({ avatar: LONG_AVATAR.slice(0, 512), unionid: null, corpName: LONG_CJK.slice(0, 255), position: LONG_CJK.slice(0, 255) })
    expect(await customer('wmEventBad')).toBeNull()
    expect(await harness.dataSource.getRepository(GroupChat).count()).toBe(0)
    expect(await harness.dataSource.getRepository(FollowRelation).countBy({ status: 'deleted_by_member' })).toBe(0)
    const warnings = fitWarnings(lines)
    for (const kind of ['customer name', 'customer avatar', 'customer unionid', 'customer corpName', 'customer skipped', 'follow skipped', 'group chat skipped']) expect(warnings).toContain(kind)
    expect(JSON.stringify(lines)).not.toContain('😀😀')
  })
})
