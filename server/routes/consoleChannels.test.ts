import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ChannelRequest, ConsoleChannel, ConsoleChannels } from '../api/contract'
import { ActivityLog, Channel, ChannelMember, Tag } from '../entities'
import { errorBody, jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { callsTo, startWecomHarness, type WecomHarness } from '../../test/wecom'

const ADD = '/cgi-bin/externalcontact/add_contact_way'
const UPDATE = '/cgi-bin/externalcontact/update_contact_way'
const DELETE = '/cgi-bin/externalcontact/del_contact_way'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(() => harness.cleanup())

const as = async (userid: string) => (await signedIn(harness, userid)).api
const send = (method: string, body: unknown) => ({ method, body: JSON.stringify(body) })

async function request(overrides: Partial<ChannelRequest> = {}): Promise<ChannelRequest> {
  const skin = await harness.dataSource.getRepository(Tag).findOneByOrFail({ wecomTagId: 'etSkin' })
  return {
    name: '抖音直播间',
    platform: '抖音',
    members: ['seller', 'colleague'],
    skipVerify: true,
    tagIds: [skin.id],
    welcome: { text: '{{客户昵称}}你好，我是{{导购姓名}}，有问题随时问我～', link: null, imageId: null },
    note: '11 月大促',
    ...overrides,
  }
}

/** The ways WeCom has now, by state. */
const waysInWecom = () => [...harness.simulator.contactWays.values()].map((way) => ({ state: way.state, user: [...way.user].sort(), skip_verify: way.skip_verify, remark: way.remark }))

describe(`渠道活码 on ${testDatabaseKind}`, () => {
  it("creates a channel's QR code in WeCom once, shows it through us, edits and deletes it there first; each change logged", async () => {
    const api = await as('operator')
    const made = await jsonBody<ConsoleChannel>(await api('/api/console/channels', send('POST', await request())), 201)
    expect(made).toMatchObject({ name: '抖音直播间', platform: '抖音', wecomStatus: 'active', skipVerify: true, members: [{ userid: 'colleague' }, { userid: 'seller' }], tags: [{ name: '护肤', group: '兴趣偏好' }] })
    expect(made.state).toMatch(/^ch_[0-9a-f]{16}$/)
    expect(waysInWecom()).toEqual([{ state: made.state, user: ['colleague', 'seller'], skip_verify: true, remark: '抖音直播间' }])
    expect(callsTo(harness.simulator, ADD)).toHaveLength(1)

    const qr = await api(made.qrImageUrl!)
    expect(qr.status).toBe(200)
    expect(qr.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await qr.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG')
    const download = await api(`${made.qrImageUrl!}?download=1`)
    expect(download.headers.get('content-disposition')).toContain(encodeURIComponent('抖音直播间-二维码.png'))

    const edited = await jsonBody<ConsoleChannel>(await api(`/api/console/channels/${made.id}`, send('PUT', await request({ members: ['seller'], skipVerify: false, name: '抖音直播间 2 号' }))))
    expect(edited).toMatchObject({ name: '抖音直播间 2 号', skipVerify: false, members: [{ userid: 'seller' }], state: made.state })
    expect(waysInWecom()).toEqual([{ state: made.state, user: ['seller'], skip_verify: false, remark: '抖音直播间 2 号' }])

    // Only the welcome changed: WeCom is not asked.
    await jsonBody(await api(`/api/console/channels/${made.id}`, send('PUT', await request({ members: ['seller'], skipVerify: false, name: '抖音直播间 2 号', welcome: { text: '欢迎！', link: null, imageId: null } }))))
    expect(callsTo(harness.simulator, UPDATE)).toHaveLength(1)

    expect((await api(`/api/console/channels/${made.id}`, { method: 'DELETE' })).status).toBe(204)
    expect(waysInWecom()).toEqual([])
    expect(callsTo(harness.simulator, DELETE)).toHaveLength(1)
    expect((await jsonBody<ConsoleChannels>(await api('/api/console/channels'))).channels).toEqual([])
    // Kept, deleted: its state is never given to another channel.
    expect(await harness.dataSource.getRepository(Channel).findOneByOrFail({ id: made.id })).toMatchObject({ state: made.state, deletedAt: expect.any(Date) })

    const actions = (await harness.dataSource.getRepository(ActivityLog).find({ order: { id: 'ASC' } })).map((e) => e.action)
    expect(actions).toEqual(['channel_created', 'channel_updated', 'channel_updated', 'channel_deleted'])
  })

  it('makes no second QR code when WeCom made one but its answer was lost, nor when the same 保存 is sent again', async () => {
    const api = await as('operator')
    // WeCom makes the way after our client gave up waiting (the harness waits 2 s).
    harness.simulator.injectFault({ path: ADD, latencyMs: 2_500, times: 1 })
    const body = { ...(await request()), requestKey: 'form-save-0001' }
    const lost = await api('/api/console/channels', send('POST', body))
    expect(lost.status).toBe(504)
    expect((await errorBody(lost)).id).toBe('wecom_timeout')
    const [pending] = await harness.dataSource.getRepository(Channel).find()
    expect(pending).toMatchObject({ wecomStatus: 'creating', configId: null })
    await expect.poll(() => waysInWecom().length, { timeout: 5_000 }).toBe(1)

    // The form sends its 保存 again: the channel it made is found and finished with WeCom's way.
    const again = await jsonBody<ConsoleChannel>(await api('/api/console/channels', send('POST', body)), 201)
    expect(again).toMatchObject({ id: pending!.id, wecomStatus: 'active', state: pending!.state })
    expect(waysInWecom()).toHaveLength(1)
    expect(callsTo(harness.simulator, ADD)).toHaveLength(1)
    expect((await harness.dataSource.getRepository(Channel).findOneByOrFail({ id: pending!.id })).configId).toBe([...harness.simulator.contactWays.keys()][0])
  })

  it('keeps a channel being created when WeCom refuses the look for its way, and adopts the way on the next 重试', async () => {
    const api = await as('operator')
    harness.simulator.injectFault({ path: ADD, latencyMs: 2_500, times: 1 })
    expect((await api('/api/console/channels', send('POST', await request()))).status).toBe(504)
    await expect.poll(() => waysInWecom().length, { timeout: 5_000 }).toBe(1)
    const [pending] = await harness.dataSource.getRepository(Channel).find()

    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/list_contact_way', errcode: 48002, times: 1 })
    const unsure = await api(`/api/console/channels/${pending!.id}/retry`, { method: 'POST' })
    expect(unsure.status).toBe(504)
    expect((await errorBody(unsure)).id).toBe('wecom_timeout')
    // Not deleted (the way exists in WeCom), and no second way added.
    expect(await harness.dataSource.getRepository(Channel).findOneByOrFail({ id: pending!.id })).toMatchObject({ wecomStatus: 'creating' })
    expect(callsTo(harness.simulator, ADD)).toHaveLength(1)

    expect((await jsonBody<ConsoleChannel>(await api(`/api/console/channels/${pending!.id}/retry`, { method: 'POST' }))).wecomStatus).toBe('active')
    expect(callsTo(harness.simulator, ADD)).toHaveLength(1)
    expect(waysInWecom()).toHaveLength(1)
  })

  it('重试 adds the way when the lost call never reached WeCom', async () => {
    const api = await as('operator')
    harness.simulator.injectFault({ path: ADD, hang: true, times: 1 })
    expect((await api('/api/console/channels', send('POST', await request()))).status).toBe(504)
    const [pending] = await harness.dataSource.getRepository(Channel).find()
    const retried = await jsonBody<ConsoleChannel>(await api(`/api/console/channels/${pending!.id}/retry`, { method: 'POST' }))
    expect(retried.wecomStatus).toBe('active')
    expect(waysInWecom().map((w) => w.state)).toEqual([pending!.state])
  })

  it('keeps nothing when WeCom refuses, and says why', async () => {
    const api = await as('operator')
    harness.simulator.injectFault({ path: ADD, errcode: 41054, times: 1 })
    const refused = await api('/api/console/channels', send('POST', await request()))
    expect(refused.status).toBe(502)
    expect((await errorBody(refused)).id).toBe('wecom_refused')
    expect(await harness.dataSource.getRepository(Channel).count()).toBe(0)
    expect(await harness.dataSource.getRepository(ChannelMember).count()).toBe(0)
    expect(await harness.dataSource.getRepository(ActivityLog).countBy({ action: 'channel_created' })).toBe(0)
  })

  it('refuses a bad channel before asking WeCom, changing nothing', async () => {
    const api = await as('operator')
    for (const overrides of [
      { name: '' },
      { platform: '火星' },
      { members: [] },
      { members: ['nobody'] },
      { tagIds: [999_999] },
      { welcome: { text: '你好 {{客户称呼}}', link: null, imageId: null } },
      { welcome: { text: null, link: { title: '看看', url: 'javascript:alert(1)' }, imageId: null } },
      { welcome: { text: 'x'.repeat(1001), link: null, imageId: null } },
    ] as Partial<ChannelRequest>[]) {
      const response = await api('/api/console/channels', send('POST', await request(overrides)))
      expect(response.status, JSON.stringify(overrides)).toBe(400)
      expect((await errorBody(response)).id).toBe('validation_failed')
    }
    expect(callsTo(harness.simulator, ADD)).toHaveLength(0)
    expect(await harness.dataSource.getRepository(Channel).count()).toBe(0)
  })

  it('is for operators: a manager gets 403 forbidden, a seller 403 no_console_access; nothing changes', async () => {
    for (const [userid, id] of [['manager', 'forbidden'], ['seller', 'no_console_access']] as const) {
      const api = await as(userid)
      for (const [path, init] of [
        ['/api/console/channels', { method: 'GET' }],
        ['/api/console/channels', send('POST', await request())],
        ['/api/console/channels/1', send('PUT', await request())],
        ['/api/console/channels/1', { method: 'DELETE' }],
        ['/api/console/channels/1/retry', { method: 'POST' }],
        ['/api/console/channels/1/qr', { method: 'GET' }],
        ['/api/console/media', { method: 'POST', body: 'x' }],
        ['/api/console/welcome', send('PUT', { text: '你好', link: null, imageId: null })],
      ] as const) {
        const response = await api(path, init)
        expect(response.status, `${userid} ${init.method} ${path}`).toBe(403)
        expect((await errorBody(response)).id).toBe(id)
      }
    }
    expect(callsTo(harness.simulator, ADD)).toHaveLength(0)
  })
})
