import { decrypt } from '@wecom/crypto'
import QRCode from 'qrcode'
import { afterEach, describe, expect, it } from 'vitest'
import type { CallbackReceiver } from './callbackReceiver'
import { createSimulator, type SeedCompany } from '../index'
import { AES_KEY, AGENT_ID, buildCompany, call, callbackReceiver, client, closeTestServers, CORP_ID, encryptedPart, SECRET, start, TOKEN, type Json } from './testSimulator'

afterEach(closeTestServers)

const DAY_MS = 24 * 3600 * 1000

/** The shared test company, plus members who cannot take customers and a department of 101. */
function companyWithMembers(): SeedCompany {
  const base = buildCompany()
  const crowd = Array.from({ length: 101 }, (_, index) => ({ userid: `crowd${index}`, name: `群众${index}`, department: [3] }))
  return {
    ...base,
    departments: [...(base.departments ?? []), { id: 3, name: '门店' }],
    users: [
      ...(base.users ?? []),
      { userid: 'newbie', name: '新人', status: 4 },
      { userid: 'backoffice', name: '后勤', customerContact: false },
      ...crowd,
    ],
  }
}

/** A simulator with the company above, calling back to a receiver, and a client that fetches a token per call (the tests move the clock by days). */
async function startWithWays(overrides: Parameters<typeof start>[0] = {}) {
  const receiver = await callbackReceiver()
  const context = await start({ callbackUrl: receiver.url, ...overrides }, companyWithMembers())
  const api = {
    get: async (path: string, query: Record<string, string> = {}) => (await client(context.base)).get(path, query),
    post: async (path: string, body: unknown) => (await client(context.base)).post(path, body),
  }
  const addWay = (body: Record<string, unknown>) => api.post('/cgi-bin/externalcontact/add_contact_way', body)
  const getWay = async (configId: string) => (await api.post('/cgi-bin/externalcontact/get_contact_way', { config_id: configId })).contact_way as Record<string, unknown>
  return { ...context, receiver, api, addWay, getWay }
}

function decryptedEvents(receiver: CallbackReceiver): string[] {
  return receiver.received.map((delivery) => decrypt(AES_KEY, encryptedPart(delivery.body)).message)
}

/** An element's text, CDATA or bare; undefined when the event has none. */
function element(xml: string | undefined, name: string): string | undefined {
  return new RegExp(`<${name}>(?:<!\\[CDATA\\[)?(.*?)(?:\\]\\]>)?</${name}>`).exec(xml ?? '')?.[1]
}

async function upload(base: string, type: string, file?: { name: string; data: Buffer; contentType?: string }): Promise<Json> {
  const { access_token } = await call(base, '/cgi-bin/gettoken', { corpid: CORP_ID, corpsecret: SECRET })
  const form = new FormData()
  if (file) form.append('media', new Blob([new Uint8Array(file.data)], { type: file.contentType ?? 'application/octet-stream' }), file.name)
  const response = await fetch(`${base}/cgi-bin/media/upload?${new URLSearchParams({ access_token: String(access_token), type })}`, { method: 'POST', body: form })
  expect(response.status).toBe(200)
  return (await response.json()) as Json
}

const aPng = () => QRCode.toBuffer('a picture', { type: 'png' })

describe('「联系我」 contact ways', () => {
  it('creates a QR-code way, answers config_id and a qr_code the simulator serves as a PNG of its scan page, and emits nothing', async () => {
    const { base, addWay, getWay, receiver } = await startWithWays()
    const added = await addWay({ type: 2, scene: 2, remark: '门店A', state: 'cw:42', user: ['zhangsan', 'lisi'], party: [2] })
    expect(added).toMatchObject({ errcode: 0, errmsg: 'ok', config_id: expect.stringMatching(/^[0-9a-f]{32}$/) })
    const configId = added.config_id as string
    expect(added.qr_code).toBe(`${base}/contact-way/qr/${configId}.png`)

    expect(await getWay(configId)).toEqual({
      config_id: configId,
      type: 2,
      scene: 2,
      remark: '门店A',
      skip_verify: true,
      state: 'cw:42',
      qr_code: added.qr_code,
      user: ['zhangsan', 'lisi'],
      party: [2],
      is_exclusive: false,
    })

    const image = await fetch(added.qr_code as string)
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/png')
    const png = Buffer.from(await image.arrayBuffer())
    // The same code drawn again from the scan page's URL: the image encodes exactly that.
    const scanUrl = `${base}/contact-way/scan?config_id=${configId}`
    expect(png.equals(await QRCode.toBuffer(scanUrl, { type: 'png', margin: 2, width: 256 }))).toBe(true)
    expect(receiver.received).toHaveLength(0)
  })

  it('keeps a mini-program button (scene 1) without qr_code, showing its style', async () => {
    const { base, addWay, getWay } = await startWithWays()
    const added = await addWay({ type: 1, scene: 1, style: 3, user: ['wangwu'], skip_verify: false })
    expect(added.errcode).toBe(0)
    expect(added).not.toHaveProperty('qr_code')
    const way = await getWay(added.config_id as string)
    expect(way).toMatchObject({ type: 1, scene: 1, style: 3, skip_verify: false, remark: '', state: '', user: ['wangwu'], party: [] })
    expect(way).not.toHaveProperty('qr_code')
    expect((await fetch(`${base}/contact-way/qr/${added.config_id as string}.png`)).status).toBe(404)
  })

  it.each([
    ['no type', { scene: 2, user: ['zhangsan'] }, 41037],
    ['no scene', { type: 1, user: ['zhangsan'] }, 41038],
    ['type 3', { type: 3, scene: 2, user: ['zhangsan'] }, 41039],
    ['scene 3', { type: 1, scene: 3, user: ['zhangsan'] }, 41040],
    ['a style with a QR code', { type: 1, scene: 2, style: 1, user: ['zhangsan'] }, 41040],
    ['style 4 for one member', { type: 1, scene: 1, style: 4, user: ['zhangsan'] }, 41042],
    ['style 3 for several members', { type: 2, scene: 1, style: 3, user: ['zhangsan'] }, 41042],
    ['type 1 with two members', { type: 1, scene: 2, user: ['zhangsan', 'lisi'] }, 40058],
    ['type 1 with a department only', { type: 1, scene: 2, party: [2] }, 40058],
    ['type 2 with nobody', { type: 2, scene: 2 }, 40058],
    ['an unknown member', { type: 1, scene: 2, user: ['ghost'] }, 41054],
    ['a member not activated', { type: 2, scene: 2, user: ['zhangsan', 'newbie'] }, 41054],
    ['a member without 客户联系', { type: 1, scene: 2, user: ['backoffice'] }, 41054],
    ['an unknown department', { type: 2, scene: 2, party: [99] }, 60123],
    ['101 members once departments are expanded', { type: 2, scene: 2, party: [3] }, 41041],
    ['a remark of 31 characters', { type: 1, scene: 2, user: ['zhangsan'], remark: '备'.repeat(31) }, 40058],
    ['skip_verify as a string', { type: 1, scene: 2, user: ['zhangsan'], skip_verify: 'yes' }, 40058],
  ])('refuses %s with %s', async (_, body, errcode) => {
    const { addWay, simulator } = await startWithWays()
    expect((await addWay(body)).errcode).toBe(errcode)
    expect(simulator.contactWays.size).toBe(0)
  })

  it('refuses a state over 30 characters, naming its length, and takes one of exactly 30', async () => {
    const { addWay } = await startWithWays()
    const refused = await addWay({ type: 1, scene: 2, user: ['zhangsan'], state: 's'.repeat(31) })
    expect(refused.errcode).toBe(40058)
    expect(refused.errmsg).toMatch(/^state is 31 characters, exceed max length 30/)
    expect((await addWay({ type: 1, scene: 2, user: ['zhangsan'], state: '渠'.repeat(30) })).errcode).toBe(0)
  })

  it('takes exactly 100 members after expanding departments', async () => {
    const { addWay, simulator } = await startWithWays()
    simulator.company.users.delete('crowd0')
    expect((await addWay({ type: 2, scene: 2, party: [3] })).errcode).toBe(0)
  })

  it('answers 41045 once the quota of API-created ways is reached; a deleted way frees its place', async () => {
    const { addWay, api } = await startWithWays({ contactWayQuota: 2 })
    const way = { type: 1, scene: 2, user: ['zhangsan'] }
    const first = await addWay(way)
    expect((await addWay(way)).errcode).toBe(0)
    const refused = await addWay(way)
    expect(refused).toMatchObject({ errcode: 41045, errmsg: expect.stringMatching(/^contact way count limit exceeded, hint/) })
    expect((await api.post('/cgi-bin/externalcontact/del_contact_way', { config_id: first.config_id })).errcode).toBe(0)
    expect((await addWay(way)).errcode).toBe(0)
  })

  it('lists the ids created in the window (the last 90 days by default), page by page', async () => {
    const { addWay, api, clock } = await startWithWays()
    const created = async () => (await addWay({ type: 1, scene: 2, user: ['zhangsan'] })).config_id as string
    const old = await created()
    clock.ms += 91 * DAY_MS
    const recent = [await created(), await created(), await created()]
    clock.ms += 1000
    const list = (body: Record<string, unknown>) => api.post('/cgi-bin/externalcontact/list_contact_way', body)

    const ids: string[] = []
    let cursor = ''
    let pages = 0
    do {
      const answer = await list({ cursor, limit: 2 })
      expect(answer.errcode).toBe(0)
      ids.push(...(answer.contact_way as { config_id: string }[]).map((way) => way.config_id))
      cursor = answer.next_cursor as string
      pages++
    } while (cursor !== '')
    expect(ids).toEqual(recent)
    expect(pages).toBe(2)

    const sinceTheStart = await list({ start_time: Math.floor(clock.ms / 1000) - 92 * 24 * 3600 })
    expect(sinceTheStart).toMatchObject({ contact_way: [{ config_id: old }, ...recent.map((config_id) => ({ config_id }))], next_cursor: '' })
    const before = await list({ start_time: 0, end_time: Math.floor(clock.ms / 1000) - 90 * 24 * 3600 })
    expect(before.contact_way).toEqual([{ config_id: old }])
    expect((await list({ start_time: 2, end_time: 1 })).errcode).toBe(40058)
  })

  it('updates: given fields replace, omitted ones stay, the same checks apply, and nothing is emitted', async () => {
    const { addWay, api, getWay, receiver } = await startWithWays()
    const configId = (await addWay({ type: 2, scene: 2, remark: '旧备注', state: 'cw:1', user: ['zhangsan', 'lisi'], party: [2] })).config_id as string
    const update = (body: Record<string, unknown>) => api.post('/cgi-bin/externalcontact/update_contact_way', { config_id: configId, ...body })

    expect((await update({ remark: '新备注' })).errcode).toBe(0)
    expect(await getWay(configId)).toMatchObject({ remark: '新备注', state: 'cw:1', user: ['zhangsan', 'lisi'], party: [2], skip_verify: true })
    expect((await update({ user: ['wangwu'], party: [], skip_verify: false, state: 'cw:2' })).errcode).toBe(0)
    expect(await getWay(configId)).toMatchObject({ remark: '新备注', state: 'cw:2', user: ['wangwu'], party: [], skip_verify: false })

    expect((await update({ state: 'x'.repeat(31) })).errcode).toBe(40058)
    expect((await update({ user: ['newbie'] })).errcode).toBe(41054)
    expect((await update({ style: 1 })).errcode).toBe(41040)
    expect((await update({ type: 1, scene: 1 })).errcode).toBe(0)
    expect(await getWay(configId)).toMatchObject({ type: 2, scene: 2, state: 'cw:2', user: ['wangwu'] })

    expect((await api.post('/cgi-bin/externalcontact/update_contact_way', { remark: 'x' })).errcode).toBe(41043)
    expect((await api.post('/cgi-bin/externalcontact/update_contact_way', { config_id: 'f'.repeat(32), remark: 'x' })).errcode).toBe(41044)
    expect(receiver.received).toHaveLength(0)
  })

  it('deletes a way, and lets a test make one vanish behind our back', async () => {
    const { addWay, api, simulator, receiver } = await startWithWays()
    const ours = (await addWay({ type: 1, scene: 2, user: ['zhangsan'] })).config_id as string
    const theirs = (await addWay({ type: 1, scene: 2, user: ['lisi'] })).config_id as string
    const del = (configId?: string) => api.post('/cgi-bin/externalcontact/del_contact_way', configId === undefined ? {} : { config_id: configId })

    expect((await del(ours)).errcode).toBe(0)
    expect((await api.post('/cgi-bin/externalcontact/get_contact_way', { config_id: ours })).errcode).toBe(41044)
    expect((await del(ours)).errcode).toBe(41044)
    expect((await del()).errcode).toBe(41043)

    expect(simulator.removeContactWay(theirs)).toBe(true)
    expect(simulator.removeContactWay(theirs)).toBe(false)
    expect((await api.post('/cgi-bin/externalcontact/get_contact_way', { config_id: theirs })).errcode).toBe(41044)
    expect(simulator.contactWays.size).toBe(0)
    expect(receiver.received).toHaveLength(0)
  })
})

describe('adds through a way, and welcome codes', () => {
  it('hands a skip-verify way\'s customers to its members in turn, as add_half_external_contact with State and a WelcomeCode', async () => {
    const { addWay, api, simulator, receiver, clock } = await startWithWays()
    const configId = (await addWay({ type: 2, scene: 2, state: 'cw:7', user: ['zhangsan', 'lisi'] })).config_id as string

    for (const index of [1, 2, 3]) {
      expect(await simulator.customerScansContactWay({ configId, customer: { external_userid: `wmScan${index}`, name: `扫码${index}` } })).toBe(200)
    }

    const events = decryptedEvents(receiver)
    expect(events.map((event) => element(event, 'ChangeType'))).toEqual(Array(3).fill('add_half_external_contact'))
    expect(events.map((event) => element(event, 'UserID'))).toEqual(['zhangsan', 'lisi', 'zhangsan'])
    expect(events.map((event) => element(event, 'State'))).toEqual(['cw:7', 'cw:7', 'cw:7'])
    const codes = events.map((event) => element(event, 'WelcomeCode'))
    expect(new Set(codes).size).toBe(3)
    expect(element(events[0], 'CreateTime')).toBe(String(clock.ms / 1000))

    const customer = await api.get('/cgi-bin/externalcontact/get', { external_userid: 'wmScan2' })
    expect(customer.follow_user).toEqual([expect.objectContaining({ userid: 'lisi', state: 'cw:7', add_way: 1, oper_userid: 'wmScan2' })])
  })

  it('delivers add_external_contact for a way that needs the member\'s approval, and skips members who can no longer take customers', async () => {
    const { addWay, simulator, receiver } = await startWithWays()
    const configId = (await addWay({ type: 2, scene: 2, skip_verify: false, user: ['zhangsan', 'lisi'] })).config_id as string
    simulator.company.users.get('zhangsan')!.status = 2

    await simulator.customerScansContactWay({ configId, customer: { external_userid: 'wmApproved', name: '审核通过' } })
    await simulator.customerScansContactWay({ configId, customer: { external_userid: 'wmApproved2', name: '又一位' } })

    const [first, second] = decryptedEvents(receiver)
    expect(element(first, 'ChangeType')).toBe('add_external_contact')
    expect([element(first, 'UserID'), element(second, 'UserID')]).toEqual(['lisi', 'lisi'])
    // A way without a state sends none.
    expect(element(first, 'State')).toBeUndefined()
    expect(element(first, 'WelcomeCode')).toMatch(/^[\w-]{20,}$/)
  })

  it('accepts one welcome per code and records it; the second use answers 41051', async () => {
    const { addWay, api, simulator, receiver, clock } = await startWithWays()
    const configId = (await addWay({ type: 1, scene: 2, user: ['lisi'] })).config_id as string
    await simulator.customerScansContactWay({ configId, customer: { external_userid: 'wmWelcome', name: '欢迎我' } })
    const code = element(decryptedEvents(receiver)[0], 'WelcomeCode')
    const welcome = { welcome_code: code, text: { content: '你好，我是李四' }, attachments: [{ msgtype: 'link', link: { title: '门店地址', url: 'https://scrm.example/store' } }] }

    clock.ms += 19_000
    expect(await api.post('/cgi-bin/externalcontact/send_welcome_msg', welcome)).toEqual({ errcode: 0, errmsg: 'ok' })
    const again = await api.post('/cgi-bin/externalcontact/send_welcome_msg', welcome)
    expect(again).toMatchObject({ errcode: 41051, errmsg: expect.stringMatching(/^externaluser has started chatting, hint/) })
    expect(simulator.welcomeMessages).toEqual([
      { welcomeCode: code, userid: 'lisi', externalUserid: 'wmWelcome', body: { text: welcome.text, attachments: welcome.attachments }, at: clock.ms },
    ])
  })

  it('lets a code expire 20 s after its event (41050), and refuses missing and unknown codes', async () => {
    const { api, simulator, receiver, clock } = await startWithWays()
    await simulator.customerAddsMember({ userid: 'lisi', customer: { external_userid: 'wmLate', name: '来晚了' } })
    const code = element(decryptedEvents(receiver)[0], 'WelcomeCode')
    const send = (body: Record<string, unknown>) => api.post('/cgi-bin/externalcontact/send_welcome_msg', { text: { content: '欢迎' }, ...body })

    clock.ms += 20_001
    expect((await send({ welcome_code: code })).errcode).toBe(41050)
    expect((await send({})).errcode).toBe(41049)
    expect((await send({ welcome_code: 'made-up' })).errcode).toBe(41050)
    expect(simulator.welcomeMessages).toHaveLength(0)
  })

  it('gives no code for a relation that existed, a member with an admin welcome, or another company\'s WeCom user', async () => {
    const { addWay, simulator, receiver } = await startWithWays()
    const configId = (await addWay({ type: 1, scene: 2, user: ['lisi'] })).config_id as string

    await simulator.customerAddsMember({ userid: 'zhangsan', customer: { external_userid: 'wm1', name: '客户wm1' } })
    await simulator.customerScansContactWay({ configId, customer: { external_userid: 'wmWecomUser', name: '同行', type: 2 } })
    simulator.company.users.get('lisi')!.adminWelcome = true
    await simulator.customerScansContactWay({ configId, customer: { external_userid: 'wmAdminWelcome', name: '管理员欢迎' } })
    simulator.company.users.get('lisi')!.adminWelcome = false
    await simulator.customerScansContactWay({ configId, customer: { external_userid: 'wmFresh', name: '新朋友' } })

    const codes = decryptedEvents(receiver).map((event) => element(event, 'WelcomeCode'))
    expect(codes.slice(0, 3)).toEqual([undefined, undefined, undefined])
    expect(codes[3]).toBeDefined()
  })

  it('refuses welcome content as WeCom does, leaving the code usable', async () => {
    const { api, simulator, receiver } = await startWithWays()
    await simulator.customerAddsMember({ userid: 'lisi', customer: { external_userid: 'wmPicky', name: '挑剔' } })
    const welcome_code = element(decryptedEvents(receiver)[0], 'WelcomeCode')
    const send = (body: Record<string, unknown>) => api.post('/cgi-bin/externalcontact/send_welcome_msg', { welcome_code, ...body })
    const link = { msgtype: 'link', link: { title: '看看', url: 'https://scrm.example/' } }

    expect((await send({})).errcode).toBe(40058)
    expect((await send({ text: { content: '' }, attachments: [] })).errcode).toBe(40058)
    expect((await send({ text: { content: '好'.repeat(1334) } })).errcode).toBe(40058)
    expect((await send({ attachments: Array(10).fill(link) })).errcode).toBe(41064)
    expect((await send({ attachments: [{ msgtype: 'voice', voice: { media_id: 'x' } }] })).errcode).toBe(41065)
    expect((await send({ attachments: [{ msgtype: 'image', link: link.link }] })).errcode).toBe(40058)
    expect((await send({ attachments: [{ msgtype: 'image', image: {} }] })).errcode).toBe(40007)
    expect((await send({ attachments: [{ msgtype: 'image', image: { media_id: 'not-ours' } }] })).errcode).toBe(40007)
    expect((await send({ attachments: [{ msgtype: 'link', link: { url: 'https://scrm.example/' } }] })).errcode).toBe(41016)
    expect((await send({ attachments: [{ msgtype: 'link', link: { title: '看看' } }] })).errcode).toBe(41010)
    expect((await send({ attachments: [{ msgtype: 'video', video: { media_id: '' } }] })).errcode).toBe(40007)

    expect((await send({ text: { content: '好'.repeat(1333) }, attachments: [...Array(8).fill(link), { msgtype: 'image', image: { pic_url: 'https://p.example/a.png' } }] })).errcode).toBe(0)
    expect(simulator.welcomeMessages).toHaveLength(1)
  })

  it('answers an injected 41096 once, then sends', async () => {
    const { api, simulator, receiver } = await startWithWays()
    await simulator.customerAddsMember({ userid: 'lisi', customer: { external_userid: 'wmBusy', name: '忙' } })
    const body = { welcome_code: element(decryptedEvents(receiver)[0], 'WelcomeCode'), text: { content: '欢迎' } }
    simulator.injectFault({ path: '/cgi-bin/externalcontact/send_welcome_msg', errcode: 41096, times: 1 })
    expect((await api.post('/cgi-bin/externalcontact/send_welcome_msg', body)).errcode).toBe(41096)
    expect((await api.post('/cgi-bin/externalcontact/send_welcome_msg', body)).errcode).toBe(0)
  })
})

describe('temporary media', () => {
  it('uploads an image as WeCom answers, welcomes with it, and refuses its id 3 days later', async () => {
    const { base, api, simulator, receiver, clock } = await startWithWays()
    const uploaded = await upload(base, 'image', { name: '门店.png', data: await aPng(), contentType: 'image/png' })
    expect(uploaded).toEqual({ errcode: 0, errmsg: 'ok', type: 'image', media_id: expect.stringMatching(/^[\w-]{40,}$/), created_at: String(clock.ms / 1000) })
    expect(simulator.calls.at(-1)?.body).toEqual([{ name: 'media', filename: '门店.png', contentType: 'image/png', bytes: expect.any(Number) }])
    const image = { msgtype: 'image', image: { media_id: uploaded.media_id } }

    const welcome = async () => {
      await simulator.customerAddsMember({ userid: 'lisi', customer: { external_userid: `wm${clock.ms}`, name: '看图' } })
      const welcome_code = element(decryptedEvents(receiver).at(-1), 'WelcomeCode')
      return api.post('/cgi-bin/externalcontact/send_welcome_msg', { welcome_code, attachments: [image] })
    }
    expect((await welcome()).errcode).toBe(0)
    clock.ms += 3 * DAY_MS - 1000
    expect((await welcome()).errcode).toBe(0)
    clock.ms += 1000
    const expired = await welcome()
    expect(expired.errcode).toBe(40007)
    expect(expired.errmsg).toMatch(/expired 3 days after its upload/)
    expect(simulator.welcomeMessages.map((message) => message.body.attachments)).toEqual([[image], [image]])
  })

  it('takes a JPEG, a file and a video, each usable only as its own type', async () => {
    const { base, api, simulator, receiver } = await startWithWays()
    const jpeg = await upload(base, 'image', { name: 'a.jpg', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]) })
    const file = await upload(base, 'file', { name: '价目表.pdf', data: Buffer.from('%PDF-1.4 price list') })
    const video = await upload(base, 'video', { name: 'v.mp4', data: Buffer.from('\0\0\0\x18ftypmp42rest-of-video', 'latin1') })
    expect([jpeg.errcode, file.errcode, video.errcode]).toEqual([0, 0, 0])
    await simulator.customerAddsMember({ userid: 'lisi', customer: { external_userid: 'wmFiles', name: '要资料' } })
    const welcome_code = element(decryptedEvents(receiver)[0], 'WelcomeCode')
    const send = (attachments: unknown[]) => api.post('/cgi-bin/externalcontact/send_welcome_msg', { welcome_code, attachments })

    expect((await send([{ msgtype: 'video', video: { media_id: file.media_id } }])).errcode).toBe(40007)
    expect((await send([{ msgtype: 'file', file: { media_id: jpeg.media_id } }])).errcode).toBe(40007)
    const miniprogram = { msgtype: 'miniprogram', miniprogram: { title: '小程序', pic_media_id: jpeg.media_id, appid: 'wx123', page: '/index' } }
    expect((await send([{ msgtype: 'file', file: { media_id: file.media_id } }, { msgtype: 'video', video: { media_id: video.media_id } }, miniprogram])).errcode).toBe(0)
  })

  it('refuses uploads with WeCom\'s media codes', async () => {
    const { base } = await startWithWays()
    const png = { name: 'a.png', data: await aPng() }
    expect((await upload(base, '', png)).errcode).toBe(40005)
    expect((await upload(base, 'gif', png)).errcode).toBe(40005)
    expect((await upload(base, 'image')).errcode).toBe(44001)
    expect((await upload(base, 'image', { name: 'a.png', data: Buffer.from('not really a picture') })).errcode).toBe(40004)
    expect((await upload(base, 'image', { name: 'a.png', data: Buffer.from([0x89, 0x50, 0x4e]) })).errcode).toBe(40009)
    const big = Buffer.concat([png.data, Buffer.alloc(10 * 1024 * 1024)])
    expect((await upload(base, 'image', { name: 'big.png', data: big })).errcode).toBe(40009)
    expect((await upload(base, 'file', { name: 'big.bin', data: Buffer.alloc(21 * 1024 * 1024) })).errcode).toBe(40006)
    // A JSON body has no file in it.
    const { access_token } = await call(base, '/cgi-bin/gettoken', { corpid: CORP_ID, corpsecret: SECRET })
    expect((await call(base, '/cgi-bin/media/upload', { access_token: String(access_token), type: 'image' }, { media: 'x' })).errcode).toBe(44001)
  })

  it('reads a multipart body with its fields unquoted, as WeCom\'s own sample sends it', async () => {
    const { base, simulator } = await startWithWays()
    const { access_token } = await call(base, '/cgi-bin/gettoken', { corpid: CORP_ID, corpsecret: SECRET })
    const data = await aPng()
    const body = Buffer.concat([
      Buffer.from('--abc\r\nContent-Disposition: form-data; name="media";filename="wework.png"; filelength=' + data.length + '\r\nContent-Type: application/octet-stream\r\n\r\n'),
      data,
      Buffer.from('\r\n--abc--\r\n'),
    ])
    const response = await fetch(`${base}/cgi-bin/media/upload?access_token=${String(access_token)}&type=image`, { method: 'POST', body, headers: { 'Content-Type': 'multipart/form-data; boundary=abc' } })
    const answer = (await response.json()) as Json
    expect(answer.errcode).toBe(0)
    expect(simulator.company.media.get(answer.media_id as string)).toMatchObject({ filename: 'wework.png', bytes: data.length, type: 'image' })

    const unframed = await fetch(`${base}/cgi-bin/media/upload?access_token=${String(access_token)}&type=image`, { method: 'POST', body: 'garbage', headers: { 'Content-Type': 'multipart/form-data; boundary=abc' } })
    expect(((await unframed.json()) as Json).errcode).toBe(47001)
  })
})

describe('the snapshot', () => {
  it('keeps ways (and whose turn is next), media, welcome codes and welcomes across a restart', async () => {
    const { base, addWay, api, simulator, receiver, clock } = await startWithWays()
    const configId = (await addWay({ type: 2, scene: 2, state: 'cw:9', user: ['zhangsan', 'lisi'] })).config_id as string
    const media = await upload(base, 'image', { name: 'a.png', data: await aPng() })
    await simulator.customerScansContactWay({ configId, customer: { external_userid: 'wmBefore', name: '重启前' } })
    await simulator.customerScansContactWay({ configId, customer: { external_userid: 'wmPending', name: '待欢迎' } })
    const [sent, pending] = decryptedEvents(receiver).map((event) => element(event, 'WelcomeCode'))
    expect((await api.post('/cgi-bin/externalcontact/send_welcome_msg', { welcome_code: sent, text: { content: '欢迎' } })).errcode).toBe(0)

    const kept = JSON.parse(JSON.stringify(simulator.snapshot())) as ReturnType<typeof simulator.snapshot>
    const restarted = createSimulator({ corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET, token: TOKEN, aesKey: AES_KEY, callbackUrl: receiver.url, now: () => clock.ms })
    restarted.restore(kept)
    const server = await restarted.listen()
    try {
      const again = await client(server.url)
      const way = (await again.post('/cgi-bin/externalcontact/get_contact_way', { config_id: configId })).contact_way
      expect(way).toMatchObject({ state: 'cw:9', user: ['zhangsan', 'lisi'], qr_code: `${server.url}/contact-way/qr/${configId}.png` })
      expect(restarted.welcomeMessages).toEqual(simulator.welcomeMessages)
      expect((await again.post('/cgi-bin/externalcontact/send_welcome_msg', { welcome_code: sent, text: { content: '再来' } })).errcode).toBe(41051)
      const withImage = { welcome_code: pending, attachments: [{ msgtype: 'image', image: { media_id: media.media_id } }] }
      expect((await again.post('/cgi-bin/externalcontact/send_welcome_msg', withImage)).errcode).toBe(0)
      await restarted.customerScansContactWay({ configId, customer: { external_userid: 'wmAfter', name: '重启后' } })
      expect(element(decryptedEvents(receiver).at(-1), 'UserID')).toBe('zhangsan')
    } finally {
      await server.close()
    }
  })

  it('restores a snapshot kept before ways and welcomes existed', async () => {
    const { simulator } = await startWithWays()
    const { contactWays: _ways, media: _media, welcomeCodes: _codes, welcomeMessages: _welcomes, ...old } = simulator.snapshot()
    const restarted = createSimulator({ corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET, token: TOKEN, aesKey: AES_KEY })
    restarted.restore(old)
    expect(restarted.contactWays.size).toBe(0)
    expect(restarted.welcomeMessages).toEqual([])
    expect(restarted.company.users.size).toBe(simulator.company.users.size)
  })
})
