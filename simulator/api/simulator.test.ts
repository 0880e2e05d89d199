import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { decrypt, getSignature } from '@wecom/crypto'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { createSimulator } from '../index'
import { AES_KEY, afterTest, AGENT_ID, buildCompany, call, callbackReceiver, client, closeTestServers, CORP_ID, encryptedPart, ROBOT_KEY, SECRET, start, TOKEN, tokenFor } from './testSimulator'

afterEach(closeTestServers)

describe('access tokens', () => {
  it('refuses bad credentials and missing, unknown, expired and revoked tokens with WeCom codes', async () => {
    const { simulator, base, clock } = await start()
    expect((await call(base, '/cgi-bin/gettoken', { corpsecret: SECRET })).errcode).toBe(41002)
    expect((await call(base, '/cgi-bin/gettoken', { corpid: CORP_ID })).errcode).toBe(41004)
    expect((await call(base, '/cgi-bin/gettoken', { corpid: 'wrong', corpsecret: SECRET })).errcode).toBe(40013)
    const wrongSecret = await call(base, '/cgi-bin/gettoken', { corpid: CORP_ID, corpsecret: 'wrong' })
    expect(wrongSecret.errcode).toBe(40001)
    expect(wrongSecret.errmsg).toMatch(/^invalid secret, hint: \[\d+\], from ip: .+, more info at .+e=40001$/)

    expect((await call(base, '/cgi-bin/user/get', { userid: 'zhangsan' })).errcode).toBe(41001)
    expect((await call(base, '/cgi-bin/user/get', { userid: 'zhangsan', access_token: 'made-up' })).errcode).toBe(40014)

    const first = await call(base, '/cgi-bin/gettoken', { corpid: CORP_ID, corpsecret: SECRET })
    expect(first).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 })
    const token = first.access_token as string
    expect(await tokenFor(base)).toBe(token)
    expect((await call(base, '/cgi-bin/user/get', { userid: 'zhangsan', access_token: token })).errcode).toBe(0)

    simulator.expireAccessTokens()
    expect((await call(base, '/cgi-bin/user/get', { userid: 'zhangsan', access_token: token })).errcode).toBe(42001)
    const second = await tokenFor(base)
    expect(second).not.toBe(token)
    simulator.revokeAccessTokens()
    expect((await call(base, '/cgi-bin/user/get', { userid: 'zhangsan', access_token: second })).errcode).toBe(40014)

    const third = await tokenFor(base)
    clock.ms += 7199_000
    expect((await call(base, '/cgi-bin/user/get', { userid: 'zhangsan', access_token: third })).errcode).toBe(0)
    clock.ms += 1_000
    expect((await call(base, '/cgi-bin/user/get', { userid: 'zhangsan', access_token: third })).errcode).toBe(42001)
  })

  it('serves distinct corp and agent tickets, the ones it exposes', async () => {
    const { simulator, base } = await start()
    const api = await client(base)
    const corp = await api.get('/cgi-bin/get_jsapi_ticket')
    const agent = await api.get('/cgi-bin/ticket/get', { type: 'agent_config' })
    expect(corp).toMatchObject({ errcode: 0, ticket: simulator.tickets.corp, expires_in: 7200 })
    expect(agent).toMatchObject({ errcode: 0, ticket: simulator.tickets.agent, expires_in: 7200 })
    expect(corp.ticket).not.toBe(agent.ticket)
  })
})

describe('callbacks', () => {
  it('builds a callback that decrypts to the plaintext and whose signature verifies', async () => {
    const { simulator } = await start()
    const plaintext = '<xml><ToUserName><![CDATA[x]]></ToUserName><Content><![CDATA[你好]]></Content></xml>'
    const { query, body } = simulator.buildCallback(plaintext)
    const encrypted = encryptedPart(body)
    expect(decrypt(AES_KEY, encrypted)).toMatchObject({ message: plaintext, id: CORP_ID })
    expect(getSignature(TOKEN, query.timestamp, query.nonce, encrypted)).toBe(query.msg_signature)
    expect(body).toContain(`<ToUserName><![CDATA[${CORP_ID}]]></ToUserName><AgentID><![CDATA[${AGENT_ID}]]></AgentID>`)
  })

  it('reproduces the derived contact-event vector of the protocol doc', async () => {
    const { simulator } = await start()
    const plaintext =
      '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID><State><![CDATA[teststate]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>'
    const { query } = simulator.buildCallback(plaintext, { timestamp: '1403610513', nonce: '1372623149', random: Buffer.from('0123456789abcdef') })
    expect(query.msg_signature).toBe('4fbbd9a0dee6641dc73dfd65fa4def5a6d5b2972')
  })

  it('delivers WeCom-side changes as encrypted events, and API changes not at all', async () => {
    const receiver = await callbackReceiver()
    const { simulator, base, clock } = await start({ callbackUrl: receiver.url })

    const status = await simulator.customerAddsMember({ userid: 'lisi', customer: { external_userid: 'wmNEW', name: '新客户' }, state: 'qr1' })
    expect(status).toBe(200)
    const [delivery] = receiver.received
    expect(delivery?.contentType).toBe('text/xml')
    const query = new URL(delivery?.url ?? '', 'http://x').searchParams
    const encrypted = encryptedPart(delivery?.body ?? '')
    expect(getSignature(TOKEN, query.get('timestamp') ?? '', query.get('nonce') ?? '', encrypted)).toBe(query.get('msg_signature'))
    expect(decrypt(AES_KEY, encrypted).message).toBe(
      `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
        `<CreateTime>${clock.ms / 1000}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
        '<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>' +
        '<UserID><![CDATA[lisi]]></UserID><ExternalUserID><![CDATA[wmNEW]]></ExternalUserID><State><![CDATA[qr1]]></State>' +
        `<WelcomeCode><![CDATA[${[...simulator.company.welcomeCodes.keys()][0]}]]></WelcomeCode></xml>`,
    )
    expect(simulator.company.follow('lisi', 'wmNEW')).toMatchObject({ state: 'qr1', oper_userid: 'wmNEW' })

    await simulator.adminUpdatesMember({ userid: 'lisi', mainDepartment: 1, department: [1, 2] })
    const contactEvent = decrypt(AES_KEY, encryptedPart(receiver.received[1]?.body ?? '')).message
    expect(contactEvent).toContain('<ChangeType>update_user</ChangeType><UserID><![CDATA[lisi]]></UserID>')
    expect(contactEvent).toContain('<Department><![CDATA[1,2]]></Department><MainDepartment>1</MainDepartment>')

    const api = await client(base)
    expect((await api.post('/cgi-bin/externalcontact/mark_tag', { userid: 'lisi', external_userid: 'wmNEW', add_tag: ['etVIP'] })).errcode).toBe(0)
    expect(receiver.received).toHaveLength(2)
  })
})

describe('oauth', () => {
  it('redirects with a single-use code that getuserinfo exchanges once', async () => {
    const { simulator, base, clock } = await start()
    const authorize = (extra: RequestInit = {}) =>
      fetch(
        `${base}/connect/oauth2/authorize?${new URLSearchParams({ appid: CORP_ID, redirect_uri: 'https://scrm.example/sidebar/?x=1', response_type: 'code', scope: 'snsapi_base', state: 'abc123', agentid: String(AGENT_ID) })}#wechat_redirect`,
        { redirect: 'manual', ...extra },
      )

    expect((await authorize()).status).toBe(400)
    simulator.setOauthUser('zhangsan')
    const redirect = await authorize()
    expect(redirect.status).toBe(302)
    const location = new URL(redirect.headers.get('location') ?? '')
    expect(location.origin + location.pathname).toBe('https://scrm.example/sidebar/')
    expect(location.searchParams.get('x')).toBe('1')
    expect(location.searchParams.get('state')).toBe('abc123')
    const code = location.searchParams.get('code') ?? ''

    const api = await client(base)
    expect(await api.get('/cgi-bin/auth/getuserinfo', { code })).toMatchObject({ errcode: 0, userid: 'zhangsan' })
    expect((await api.get('/cgi-bin/auth/getuserinfo', { code })).errcode).toBe(40029)

    const asLisi = new URL((await authorize({ headers: { cookie: 'wecom_sim_user=lisi' } })).headers.get('location') ?? '')
    expect(await api.get('/cgi-bin/auth/getuserinfo', { code: asLisi.searchParams.get('code') ?? '' })).toMatchObject({ userid: 'lisi' })

    const late = new URL((await authorize()).headers.get('location') ?? '').searchParams.get('code') ?? ''
    clock.ms += 5 * 60 * 1000 + 1
    expect((await api.get('/cgi-bin/auth/getuserinfo', { code: late })).errcode).toBe(40029)
  })
})

describe('web login', () => {
  const webLoginQuery = (overrides: Record<string, string> = {}) =>
    new URLSearchParams({ login_type: 'CorpApp', appid: CORP_ID, agentid: String(AGENT_ID), redirect_uri: 'https://scrm.example/console/?x=1', state: 'abc123', ...overrides })
  const webLogin = (base: string, query: URLSearchParams, init: RequestInit = {}) => fetch(`${base}/wwlogin/sso/login?${query}`, { redirect: 'manual', ...init })
  const codeOf = (response: Response) => new URL(response.headers.get('location') ?? '').searchParams.get('code') ?? ''

  it('signs the logged-in member in with a single-use code that getuserinfo exchanges, as OAuth does', async () => {
    const { simulator, base, clock } = await start()
    simulator.setOauthUser('zhangsan')
    const redirect = await webLogin(base, webLoginQuery())
    expect(redirect.status).toBe(302)
    const location = new URL(redirect.headers.get('location') ?? '')
    expect(location.origin + location.pathname).toBe('https://scrm.example/console/')
    expect(location.searchParams.get('x')).toBe('1')
    expect(location.searchParams.get('state')).toBe('abc123')

    const api = await client(base)
    const code = location.searchParams.get('code') ?? ''
    expect(await api.get('/cgi-bin/auth/getuserinfo', { code })).toEqual({ errcode: 0, errmsg: 'ok', userid: 'zhangsan' })
    expect((await api.get('/cgi-bin/auth/getuserinfo', { code })).errcode).toBe(40029)

    const asLisi = await webLogin(base, webLoginQuery(), { headers: { cookie: 'wecom_sim_user=lisi' } })
    expect(await api.get('/cgi-bin/auth/getuserinfo', { code: codeOf(asLisi) })).toMatchObject({ userid: 'lisi' })

    const late = codeOf(await webLogin(base, webLoginQuery()))
    clock.ms += 5 * 60 * 1000 + 1
    expect((await api.get('/cgi-bin/auth/getuserinfo', { code: late })).errcode).toBe(40029)
    expect(simulator.calls.filter((call) => call.path === '/wwlogin/sso/login')).toHaveLength(3)
  })

  it('lets the visitor pick a member when no one is logged in to the client, carrying the link along', async () => {
    const { base } = await start()
    const page = await webLogin(base, webLoginQuery({ redirect_uri: 'https://scrm.example/console/?a="b"' }))
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    const html = await page.text()
    expect(html).toContain('<option value="lisi">李四（lisi）</option>')
    expect(html).toContain('<input type="hidden" name="redirect_uri" value="https://scrm.example/console/?a=&#34;b&#34;">')
    expect(html).toMatch(/<form method="get" action="\/wwlogin\/sso\/login">/)
    expect(html).toMatch(/<button type="submit">登录<\/button>/)

    // What submitting the form asks for: the link's parameters and the member picked.
    const picked = await webLogin(base, webLoginQuery({ sim_userid: 'lisi' }))
    expect(picked.status).toBe(302)
    expect(await (await client(base)).get('/cgi-bin/auth/getuserinfo', { code: codeOf(picked) })).toMatchObject({ userid: 'lisi' })
    const stranger = await webLogin(base, webLoginQuery({ sim_userid: 'ghost' }))
    expect([stranger.status, await stranger.text()]).toEqual([400, expect.stringContaining('ghost is not a member')])
  })

  it.each([
    ['a third-party login_type', { login_type: 'ServiceApp' }, 'login_type must be CorpApp'],
    ['another CorpID', { appid: 'wwsomeoneelse' }, 'is not this company&#39;s CorpID'],
    ['another app', { agentid: '1000003' }, 'agentid 1000003 is not this app&#39;s AgentID'],
    ['no agentid', { agentid: '' }, 'agentid (missing) is not this app&#39;s AgentID'],
    ['a relative redirect_uri', { redirect_uri: '/console/' }, 'redirect_uri must be an absolute URL'],
    ['a state with symbols', { state: 'a<b' }, 'state must be'],
  ])('refuses %s, even for a logged-in member, without issuing a code', async (_, overrides, message) => {
    const { simulator, base } = await start()
    simulator.setOauthUser('zhangsan')
    const response = await webLogin(base, webLoginQuery(overrides))
    expect(response.status).toBe(400)
    expect(response.headers.get('location')).toBeNull()
    expect(await response.text()).toContain(message)
  })
})

describe('customers', () => {
  it('pages batch/get_by_user through cursors, every relation exactly once', async () => {
    const { base } = await start({}, buildCompany({ customers: 8 }))
    const api = await client(base)
    const seen: string[] = []
    let cursor = ''
    let pages = 0
    do {
      const answer = await api.post('/cgi-bin/externalcontact/batch/get_by_user', { userid_list: ['zhangsan', 'lisi', 'ghost'], cursor, limit: 3 })
      expect(answer.errcode).toBe(0)
      const list = answer.external_contact_list as { external_contact: { external_userid: string }; follow_info: { userid: string; tag_id: string[] } }[]
      expect(list.length).toBeLessThanOrEqual(3)
      for (const item of list) {
        expect(item.follow_info.tag_id).toEqual([])
        seen.push(`${item.follow_info.userid}/${item.external_contact.external_userid}`)
      }
      // A cursor names a stable page while the state does not change.
      if (cursor !== '') {
        const again = await api.post('/cgi-bin/externalcontact/batch/get_by_user', { userid_list: ['zhangsan', 'lisi', 'ghost'], cursor, limit: 3 })
        expect(again.external_contact_list).toEqual(list)
      }
      cursor = answer.next_cursor as string
      pages++
    } while (cursor !== '')
    expect(pages).toBe(4)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.sort()).toEqual([
      ...['wm1', 'wm2', 'wm3'].map((id) => `lisi/${id}`),
      ...Array.from({ length: 8 }, (_, index) => `zhangsan/wm${index + 1}`),
    ].sort())

    const tooMany = Array.from({ length: 101 }, (_, index) => `u${index}`)
    expect((await api.post('/cgi-bin/externalcontact/batch/get_by_user', { userid_list: tooMany })).errcode).toBe(40058)
  })

  it('pages follow_user in externalcontact/get and keeps one-way relations', async () => {
    const { simulator, base } = await start({ callbackUrl: (await callbackReceiver()).url })
    const api = await client(base)
    await simulator.customerAddsMember({ userid: 'wangwu', customer: { external_userid: 'wm1', name: '客户wm1' } })

    const first = await api.get('/cgi-bin/externalcontact/get', { external_userid: 'wm1' })
    expect(first).toMatchObject({ errcode: 0, external_contact: { external_userid: 'wm1', name: '客户wm1', type: 1 } })
    expect(first.follow_user).toEqual([
      expect.objectContaining({ userid: 'zhangsan', tags: [], remark_mobiles: [], description: '', remark: '' }),
      expect.objectContaining({ userid: 'lisi' }),
    ])
    expect(first.next_cursor).not.toBe('')
    const second = await api.get('/cgi-bin/externalcontact/get', { external_userid: 'wm1', cursor: first.next_cursor as string })
    expect(second.follow_user).toEqual([expect.objectContaining({ userid: 'wangwu', oper_userid: 'wm1', add_way: 1 })])
    expect(second.next_cursor).toBe('')

    expect((await api.get('/cgi-bin/externalcontact/get', { external_userid: 'nobody' })).errcode).toBe(40096)

    await simulator.customerDeletesMember({ userid: 'zhangsan', externalUserid: 'wm4' })
    expect((await api.get('/cgi-bin/externalcontact/get', { external_userid: 'wm4' })).follow_user).toEqual([expect.objectContaining({ userid: 'zhangsan' })])
    await simulator.memberDeletesCustomer({ userid: 'zhangsan', externalUserid: 'wm4' })
    expect(await api.get('/cgi-bin/externalcontact/get', { external_userid: 'wm4' })).toMatchObject({ errcode: 84061, follow_user: [] })

    expect((await api.get('/cgi-bin/externalcontact/list', { userid: 'lisi' })).external_userid).toEqual(['wm1', 'wm2', 'wm3'])
    expect((await api.get('/cgi-bin/externalcontact/list', { userid: 'nobody' })).errcode).toBe(60111)
    expect((await api.get('/cgi-bin/user/get', { userid: 'nobody' })).errmsg).toMatch(/^invalid string value `nobody`\. userid not found, hint/)
  })

  it('answers mark_tag with WeCom codes and shows the tags afterwards', async () => {
    const { base } = await start()
    const api = await client(base)
    const mark = (body: Record<string, unknown>) => api.post('/cgi-bin/externalcontact/mark_tag', { userid: 'lisi', external_userid: 'wm1', ...body })
    expect((await mark({})).errcode).toBe(40058)
    expect((await mark({ add_tag: ['etNOPE'] })).errcode).toBe(40068)
    expect((await mark({ add_tag: ['etVIP'], external_userid: 'nobody' })).errcode).toBe(40096)
    expect((await mark({ add_tag: ['etVIP'], external_userid: 'wm5' })).errcode).toBe(84061)
    expect((await mark({ add_tag: ['etVIP', 'etNEW'] })).errcode).toBe(0)
    expect((await mark({ remove_tag: ['etNEW'] })).errcode).toBe(0)

    const customer = await api.get('/cgi-bin/externalcontact/get', { external_userid: 'wm1' })
    const lisi = (customer.follow_user as { userid: string; tags: unknown[] }[]).find((follow) => follow.userid === 'lisi')
    expect(lisi?.tags).toEqual([{ group_name: '客户等级', tag_name: 'VIP', tag_id: 'etVIP', type: 1 }])
  })

  it('adds, edits and deletes corp tags; deleted ones show only when asked by id', async () => {
    const { base } = await start()
    const api = await client(base)
    expect((await api.post('/cgi-bin/externalcontact/add_corp_tag', { group_name: '来源', tag: [] })).errcode).toBe(40058)
    expect((await api.post('/cgi-bin/externalcontact/add_corp_tag', { group_name: '来源', tag: [{ name: 'x'.repeat(31) }] })).errcode).toBe(40058)
    const added = await api.post('/cgi-bin/externalcontact/add_corp_tag', { group_name: '来源', tag: [{ name: '门店' }, { name: '门店' }, { name: '直播' }] })
    const group = added.tag_group as { group_id: string; tag: { id: string; name: string }[] }
    expect(group.tag.map((tag) => tag.name)).toEqual(['门店', '直播'])

    expect((await api.post('/cgi-bin/externalcontact/edit_corp_tag', { id: 'etNOPE', name: 'x' })).errcode).toBe(40068)
    expect((await api.post('/cgi-bin/externalcontact/edit_corp_tag', { id: group.tag[0]?.id, name: '线下门店' })).errcode).toBe(0)
    expect((await api.post('/cgi-bin/externalcontact/del_corp_tag', {})).errcode).toBe(40058)
    expect((await api.post('/cgi-bin/externalcontact/del_corp_tag', { tag_id: group.tag.map((tag) => tag.id) })).errcode).toBe(0)

    const all = await api.post('/cgi-bin/externalcontact/get_corp_tag_list', {})
    expect((all.tag_group as { group_name: string }[]).map((g) => g.group_name)).toEqual(['客户等级'])
    const byId = await api.post('/cgi-bin/externalcontact/get_corp_tag_list', { group_id: [group.group_id] })
    expect(byId.tag_group).toEqual([
      expect.objectContaining({ group_name: '来源', deleted: true, tag: [expect.objectContaining({ name: '线下门店', deleted: true }), expect.objectContaining({ name: '直播', deleted: true })] }),
    ])
  })
})

describe('messages', () => {
  it('reports invalid recipients, delivers to the rest, and refuses when none is valid', async () => {
    const { simulator, base } = await start()
    const api = await client(base)
    const send = (body: Record<string, unknown>) => api.post('/cgi-bin/message/send', { msgtype: 'text', agentid: AGENT_ID, text: { content: '早上好' }, ...body })

    const sent = await send({ touser: 'zhangsan|Ghost|LISI' })
    expect(sent).toMatchObject({ errcode: 0, invaliduser: 'ghost' })
    expect(simulator.appMessages).toEqual([expect.objectContaining({ msgid: sent.msgid, recipients: ['zhangsan', 'lisi'] })])

    expect(await send({ touser: 'ghost|nobody' })).toMatchObject({ errcode: 81013, invaliduser: 'ghost|nobody' })
    expect((await send({ touser: 'zhangsan', agentid: 1 })).errcode).toBe(40056)
    expect((await send({ touser: 'zhangsan', text: { content: '好'.repeat(683) } })).errcode).toBe(45002)
    expect((await send({ touser: 'zhangsan', text: { content: '' } })).errcode).toBe(44004)
    expect((await send({ touser: 'zhangsan', msgtype: 'textcard', textcard: { title: 't', url: 'https://x' } })).errcode).toBe(41033)
    expect(simulator.appMessages).toHaveLength(1)
  })

  it('limits a robot to 20 messages in any minute of its clock', async () => {
    const { simulator, base, clock } = await start()
    const robot = (key = ROBOT_KEY) => call(base, '/cgi-bin/webhook/send', { key }, { msgtype: 'markdown', markdown: { content: '**日报**' } })
    expect((await robot('unknown')).errcode).toBe(93000)
    for (let index = 0; index < 20; index++) {
      expect((await robot()).errcode).toBe(0)
      clock.ms += 1_000
    }
    const limited = await robot()
    expect(limited.errcode).toBe(45009)
    expect(limited.errmsg).toMatch(/^api freq out of limit, hint/)
    clock.ms += 40_000 // the first message is now 60 s old: out of the window
    expect((await robot()).errcode).toBe(0)
    expect(simulator.robotMessages).toHaveLength(21)
  })
})

describe('faults and mounting', () => {
  it('answers injected errcodes a given number of times, after the injected latency', async () => {
    const { simulator, base } = await start()
    const api = await client(base)
    simulator.injectFault({ path: '/cgi-bin/user/get', errcode: -1, times: 2 })
    simulator.injectFault({ path: '*', latencyMs: 60, times: 1 })
    const started = performance.now()
    const first = await api.get('/cgi-bin/user/get', { userid: 'zhangsan' })
    expect(performance.now() - started).toBeGreaterThanOrEqual(55)
    expect(first).toMatchObject({ errcode: -1, errmsg: expect.stringMatching(/^system busy, hint/) })
    expect((await api.get('/cgi-bin/department/list')).errcode).toBe(0)
    expect((await api.get('/cgi-bin/user/get', { userid: 'zhangsan' })).errcode).toBe(-1)
    expect(await api.get('/cgi-bin/user/get', { userid: 'zhangsan' })).toMatchObject({ errcode: 0, gender: '0', main_department: 2, is_leader_in_dept: [1] })
    expect(simulator.calls.filter((c) => c.path === '/cgi-bin/user/get')).toHaveLength(3)
    expect((await api.get('/cgi-bin/not/simulated')).errcode).toBe(48002)
  })

  it('serves under a base path inside another Koa app and passes other paths on', async () => {
    const simulator = createSimulator({ corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET, token: TOKEN, aesKey: AES_KEY, basePath: '/wecom-sim' })
    const app = new Koa()
    app.use(simulator.middleware())
    app.use((ctx) => {
      ctx.body = 'ours'
    })
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    afterTest(() => new Promise((resolve) => server.close(() => resolve())))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    expect((await call(`${origin}/wecom-sim`, '/cgi-bin/gettoken', { corpid: CORP_ID, corpsecret: SECRET })).errcode).toBe(0)
    expect(await (await fetch(`${origin}/cgi-bin/gettoken`)).text()).toBe('ours')
    // The demo page is the console's, composed on top: the API alone passes it on too.
    expect(await (await fetch(`${origin}/wecom-sim/`)).text()).toBe('ours')
    expect(simulator.calls.map((c) => c.path)).toEqual(['/cgi-bin/gettoken'])
  })
})
