import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConsoleTagGroup, ConsoleTagList, TagDeletion } from '../api/contract'
import { listTagGroups } from '../console/tags'
import { ActivityLog, FollowTag, Member } from '../entities'
import { SEGMENT_GROUP } from '../jobs/segments'
import { errorBody, jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { buildCompany } from '../../test/company'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

const TAG_WRITES = ['/cgi-bin/externalcontact/add_corp_tag', '/cgi-bin/externalcontact/edit_corp_tag', '/cgi-bin/externalcontact/del_corp_tag']

let harness: WecomHarness
beforeEach(async () => {
  // The test company (test/company.ts), and the segments job's managed group as WeCom would have it.
  const seed = buildCompany()
  seed.tagGroups = [...(seed.tagGroups ?? []), { group_id: 'etGroupValue', group_name: SEGMENT_GROUP, order: 0, tags: [{ id: 'etValueNew', name: '新客', order: 2 }, { id: 'etValueSleep', name: '沉睡', order: 1 }] }]
  harness = await startWecomHarness({ seed, serve: true, synced: true })
})
afterEach(() => harness.cleanup())

const as = async (userid: string) => (await signedIn(harness, userid)).api
const send = (method: string, body?: unknown) => ({ method, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) })
const list = async (api: Awaited<ReturnType<typeof as>>) => (await jsonBody<ConsoleTagList>(await api('/api/console/tags'))).groups
const named = (groups: ConsoleTagGroup[], name: string) => groups.find((g) => g.name === name)!

/** WeCom's corp tags as get_corp_tag_list lists them: group and tag names with their ids, in WeCom's order. */
async function wecomTags() {
  const { tag_group } = await harness.wecom.client.call('getCorpTags', { body: {} })
  return tag_group.map((g) => ({ id: g.group_id, name: g.group_name, tags: (g.tag ?? []).map((t) => ({ id: t.id, name: t.name })) }))
}
/** Our mirror with WeCom's ids, the customers' marks and the activity log: what a refused change must leave as it was. */
async function everything() {
  const mirror = (await listTagGroups(harness.dataSource.manager)).map((g) => ({ id: g.wecomGroupId, name: g.name, tags: g.tags.map((t) => ({ id: t.wecomTagId, name: t.name })) }))
  return { mirror, marks: await harness.dataSource.getRepository(FollowTag).count(), activity: await harness.dataSource.getRepository(ActivityLog).count(), wecom: await wecomTags() }
}
async function activityOf(action: string) {
  const operator = await harness.dataSource.getRepository(Member).findOneByOrFail({ userid: 'operator' })
  const rows = await harness.dataSource.getRepository(ActivityLog).find({ where: { action }, order: { id: 'ASC' } })
  for (const row of rows) expect(row.actorMemberId).toBe(operator.id)
  return rows.map((row) => JSON.parse(row.detail) as Record<string, unknown>)
}
const tagWriteCalls = () => harness.simulator.calls.filter((call) => TAG_WRITES.includes(call.path)).length

describe(`the console's 标签 API on ${testDatabaseKind}`, () => {
  it('lets only operators in: a manager gets 403 forbidden, a seller 403 no_console_access, no session 401', async () => {
    const groups = await list(await as('operator'))
    const tagId = groups[0]!.tags[0]!.id
    const groupId = groups[0]!.id
    const calls: [string, RequestInit][] = [
      ['/api/console/tags', {}],
      ['/api/console/tags/groups', send('POST', { name: '新组', tags: ['甲'] })],
      [`/api/console/tags/groups/${groupId}`, send('PATCH', { name: '改名' })],
      [`/api/console/tags/groups/${groupId}`, send('DELETE')],
      [`/api/console/tags/groups/${groupId}/tags`, send('POST', { name: '新标签' })],
      [`/api/console/tags/${tagId}`, send('PATCH', { name: '改名' })],
      [`/api/console/tags/${tagId}`, send('DELETE')],
    ]
    const before = await everything()
    for (const [userid, status, id] of [['manager', 403, 'forbidden'], ['seller', 403, 'no_console_access']] as const) {
      const api = await as(userid)
      for (const [path, init] of calls) {
        const response = await api(path, init)
        expect(response.status, `${userid} ${init.method ?? 'GET'} ${path}`).toBe(status)
        expect((await errorBody(response)).id).toBe(id)
      }
    }
    for (const [path, init] of calls) {
      const response = await fetch(`${harness.server!.url}${path}`, { ...init, headers: { 'content-type': 'application/json' } })
      expect(response.status, path).toBe(401)
    }
    expect(await everything()).toEqual(before)
    expect(tagWriteCalls()).toBe(0)
  })

  it("lists every group and its tags in WeCom's order, 客户价值 marked managed", async () => {
    const groups = await list(await as('operator'))
    expect(groups.map((g) => [g.name, g.managed, g.tags.map((t) => t.name)])).toEqual([
      ['客户等级', false, ['重要客户', '普通客户', '潜在客户']],
      ['兴趣偏好', false, ['护肤', '彩妆']],
      ['来源渠道', false, ['门店', '直播']],
      [SEGMENT_GROUP, true, ['新客', '沉睡']],
    ])
    expect(groups.map((g) => g.name)).toEqual((await wecomTags()).map((g) => g.name))
  })

  it("creates a group with its tags in WeCom, mirrors WeCom's ids, and logs it", async () => {
    const api = await as('operator')
    const created = await jsonBody<ConsoleTagGroup>(await api('/api/console/tags/groups', send('POST', { name: ' 会员等级 ', tags: ['金卡', '银卡', '铜卡'] })), 201)
    expect(created).toMatchObject({ name: '会员等级', managed: false })
    expect(created.tags.map((t) => t.name)).toEqual(['金卡', '银卡', '铜卡'])

    const { mirror, wecom } = await everything()
    const inWecom = wecom.find((g) => g.name === '会员等级')!
    expect(inWecom.tags.map((t) => t.name)).toEqual(['金卡', '银卡', '铜卡'])
    // Ours carry exactly the ids WeCom's answer gave.
    expect(mirror.find((g) => g.name === '会员等级')).toEqual(inWecom)
    expect(mirror.map((g) => g.name)).toEqual(wecom.map((g) => g.name))
    expect(named(await list(api), '会员等级')).toEqual(created)
    expect(await activityOf('tag_group_created')).toEqual([{ wecomGroupId: inWecom.id, name: '会员等级', tags: inWecom.tags.map((t) => ({ wecomTagId: t.id, name: t.name })) }])
  })

  it('adds a tag at the end of a group, renames a group and a tag, in WeCom first, each logged', async () => {
    const api = await as('operator')
    const interest = named(await list(api), '兴趣偏好')
    const added = await jsonBody<ConsoleTagGroup>(await api(`/api/console/tags/groups/${interest.id}/tags`, send('POST', { name: '香氛' })), 201)
    expect(added.tags.map((t) => t.name)).toEqual(['护肤', '彩妆', '香氛'])

    const renamed = await jsonBody<ConsoleTagGroup>(await api(`/api/console/tags/groups/${interest.id}`, send('PATCH', { name: '兴趣' })))
    expect(renamed.name).toBe('兴趣')
    const skin = interest.tags.find((t) => t.name === '护肤')!
    const retagged = await jsonBody<ConsoleTagGroup>(await api(`/api/console/tags/${skin.id}`, send('PATCH', { name: '护肤品' })))
    expect(retagged.tags.map((t) => t.name)).toEqual(['护肤品', '彩妆', '香氛'])

    const { mirror, wecom } = await everything()
    expect(mirror).toEqual(wecom)
    expect(wecom.find((g) => g.id === 'etGroupInterest')).toEqual({ id: 'etGroupInterest', name: '兴趣', tags: [{ id: 'etSkin', name: '护肤品' }, { id: 'etMakeup', name: '彩妆' }, { id: expect.any(String), name: '香氛' }] })
    expect(await activityOf('corp_tag_created')).toEqual([{ wecomGroupId: 'etGroupInterest', group: '兴趣偏好', tag: { wecomTagId: wecom[1]!.tags[2]!.id, name: '香氛' } }])
    expect(await activityOf('tag_group_renamed')).toEqual([{ wecomGroupId: 'etGroupInterest', from: '兴趣偏好', to: '兴趣' }])
    expect(await activityOf('corp_tag_renamed')).toEqual([{ wecomTagId: 'etSkin', group: '兴趣', from: '护肤', to: '护肤品' }])
  })

  it("deletes a tag, a group's last tag with its group, and a group with its tags, customers' marks going with them", async () => {
    const api = await as('operator')
    const groups = await list(api)
    const source = named(groups, '来源渠道')
    const [store, live] = source.tags
    expect(await jsonBody<TagDeletion>(await api(`/api/console/tags/${store!.id}`, send('DELETE')))).toEqual({ groupDeleted: false })
    // 直播 is 来源渠道's last tag now: WeCom deletes the group with it.
    expect(await jsonBody<TagDeletion>(await api(`/api/console/tags/${live!.id}`, send('DELETE')))).toEqual({ groupDeleted: true })
    const interest = named(groups, '兴趣偏好')
    expect((await api(`/api/console/tags/groups/${interest.id}`, send('DELETE'))).status).toBe(204)

    const { mirror, wecom } = await everything()
    expect(mirror).toEqual(wecom)
    expect(mirror.map((g) => g.name)).toEqual(['客户等级', SEGMENT_GROUP])
    // wmXiaomei had 护肤 and 门店; none of the deleted tags is marked on anyone any more.
    const marks = await harness.dataSource.query('SELECT t.wecom_tag_id AS id FROM follow_tags ft JOIN tags t ON t.id = ft.tag_id')
    expect(marks.map((m: { id: string }) => m.id).filter((id: string) => ['etStore', 'etLive', 'etSkin', 'etMakeup'].includes(id))).toEqual([])
    expect(await activityOf('corp_tag_deleted')).toEqual([
      { wecomTagId: 'etStore', group: '来源渠道', name: '门店' },
      { wecomTagId: 'etLive', group: '来源渠道', name: '直播', groupDeleted: true },
    ])
    expect(await activityOf('tag_group_deleted')).toEqual([{ wecomGroupId: 'etGroupInterest', name: '兴趣偏好', tags: [{ wecomTagId: 'etSkin', name: '护肤' }, { wecomTagId: 'etMakeup', name: '彩妆' }] }])
  })

  it('refuses bad names and duplicates before WeCom, and changes nothing', async () => {
    const api = await as('operator')
    const groups = await list(api)
    const level = named(groups, '客户等级')
    const vip = level.tags[0]!
    const long = '长'.repeat(31)
    const before = await everything()
    const refusals: [string, RequestInit, number, string][] = [
      ['/api/console/tags/groups', send('POST', { name: '', tags: ['甲'] }), 400, 'validation_failed'],
      ['/api/console/tags/groups', send('POST', { name: '   ', tags: ['甲'] }), 400, 'validation_failed'],
      ['/api/console/tags/groups', send('POST', { name: long, tags: ['甲'] }), 400, 'validation_failed'],
      ['/api/console/tags/groups', send('POST', { name: '新组', tags: [] }), 400, 'validation_failed'],
      ['/api/console/tags/groups', send('POST', { name: '新组', tags: ['甲', ''] }), 400, 'validation_failed'],
      ['/api/console/tags/groups', send('POST', { name: '新组', tags: [long] }), 400, 'validation_failed'],
      ['/api/console/tags/groups', send('POST', { name: '新\u0007组', tags: ['甲'] }), 400, 'validation_failed'],
      ['/api/console/tags/groups', send('POST', { name: '新组' }), 400, 'validation_failed'],
      ['/api/console/tags/groups', send('POST', { name: '新组', tags: Array.from({ length: 101 }, (_, i) => `标签${i}`) }), 400, 'validation_failed'],
      ['/api/console/tags/groups', send('POST', 'not json'), 400, 'bad_request'],
      ['/api/console/tags/groups', send('POST', { name: '新组', tags: ['甲', '甲'] }), 409, 'tag_name_taken'],
      // add_corp_tag would add into the existing group: refused instead.
      ['/api/console/tags/groups', send('POST', { name: '客户等级', tags: ['甲'] }), 409, 'tag_name_taken'],
      [`/api/console/tags/groups/${level.id}`, send('PATCH', { name: '兴趣偏好' }), 409, 'tag_name_taken'],
      [`/api/console/tags/groups/${level.id}`, send('PATCH', { name: long }), 400, 'validation_failed'],
      [`/api/console/tags/groups/${level.id}/tags`, send('POST', { name: '普通客户' }), 409, 'tag_name_taken'],
      [`/api/console/tags/groups/${level.id}/tags`, send('POST', { name: '' }), 400, 'validation_failed'],
      [`/api/console/tags/${vip.id}`, send('PATCH', { name: '潜在客户' }), 409, 'tag_name_taken'],
      [`/api/console/tags/${vip.id}`, send('PATCH', { name: 7 }), 400, 'validation_failed'],
      ['/api/console/tags/999999', send('PATCH', { name: '甲' }), 404, 'not_found'],
      ['/api/console/tags/999999', send('DELETE'), 404, 'not_found'],
      ['/api/console/tags/groups/999999', send('DELETE'), 404, 'not_found'],
      ['/api/console/tags/groups/999999/tags', send('POST', { name: '甲' }), 404, 'not_found'],
      ['/api/console/tags/0x1', send('DELETE'), 404, 'not_found'],
      ['/api/console/tags/groups/-1', send('PATCH', { name: '甲' }), 404, 'not_found'],
    ]
    for (const [path, init, status, id] of refusals) {
      const response = await api(path, init)
      expect(response.status, `${init.method} ${path} ${String(init.body)}`).toBe(status)
      expect((await errorBody(response)).id, `${init.method} ${path} ${String(init.body)}`).toBe(id)
    }
    expect(await everything()).toEqual(before)
    expect(tagWriteCalls()).toBe(0)
    // A tag's name may repeat in another group, and 30 characters are allowed.
    const thirty = '长'.repeat(30)
    expect((await api(`/api/console/tags/groups/${named(groups, '兴趣偏好').id}/tags`, send('POST', { name: '普通客户' }))).status).toBe(201)
    expect((await api('/api/console/tags/groups', send('POST', { name: thirty, tags: [thirty] }))).status).toBe(201)
  })

  it('shows a WeCom refusal as 502 wecom_refused and changes nothing of ours', async () => {
    const api = await as('operator')
    const groups = await list(api)
    const level = named(groups, '客户等级')
    const vip = level.tags[0]!
    const before = await everything()
    const attempts: [string, string, RequestInit, number][] = [
      ['add_corp_tag', '/api/console/tags/groups', send('POST', { name: '新组', tags: ['甲'] }), 40126],
      ['add_corp_tag', `/api/console/tags/groups/${level.id}/tags`, send('POST', { name: '甲' }), 40126],
      ['edit_corp_tag', `/api/console/tags/groups/${level.id}`, send('PATCH', { name: '等级' }), 40068],
      ['edit_corp_tag', `/api/console/tags/${vip.id}`, send('PATCH', { name: 'VIP' }), 40068],
      ['del_corp_tag', `/api/console/tags/groups/${level.id}`, send('DELETE'), 48002],
      ['del_corp_tag', `/api/console/tags/${vip.id}`, send('DELETE'), 48002],
    ]
    for (const [api_, path, init, errcode] of attempts) {
      harness.simulator.injectFault({ path: `/cgi-bin/externalcontact/${api_}`, errcode, times: 1 })
      const response = await api(path, init)
      expect(response.status, `${init.method} ${path}`).toBe(502)
      expect((await errorBody(response)).id).toBe('wecom_refused')
    }
    expect(await everything()).toEqual(before)
    expect(tagWriteCalls()).toBe(attempts.length)
  })

  it('refuses every change to 客户价值, and a group of that name, with 409 tag_group_managed', async () => {
    const api = await as('operator')
    const groups = await list(api)
    const managed = named(groups, SEGMENT_GROUP)
    const tag = managed.tags[0]!
    const before = await everything()
    const refusals: [string, RequestInit][] = [
      [`/api/console/tags/groups/${managed.id}`, send('PATCH', { name: '价值' })],
      [`/api/console/tags/groups/${managed.id}`, send('DELETE')],
      [`/api/console/tags/groups/${managed.id}/tags`, send('POST', { name: '流失' })],
      [`/api/console/tags/${tag.id}`, send('PATCH', { name: '新客户' })],
      [`/api/console/tags/${tag.id}`, send('DELETE')],
      ['/api/console/tags/groups', send('POST', { name: SEGMENT_GROUP, tags: ['流失'] })],
      [`/api/console/tags/groups/${named(groups, '客户等级').id}`, send('PATCH', { name: SEGMENT_GROUP })],
    ]
    for (const [path, init] of refusals) {
      const response = await api(path, init)
      expect(response.status, `${init.method} ${path}`).toBe(409)
      expect((await errorBody(response)).id).toBe('tag_group_managed')
    }
    expect(await everything()).toEqual(before)
    expect(tagWriteCalls()).toBe(0)
  })
})
