import { decrypt } from '@wecom/crypto'
import QRCode from 'qrcode'
import { afterEach, describe, expect, it } from 'vitest'
import { demoCompany, demoCustomerId } from '../../server/demo/company'
import { startCallbackReceiver } from '../api/callbackReceiver'
import { createSimulator, demoConsole } from '../index'

const CREDENTIALS = {
  corpId: 'wwpagetest0000001',
  agentId: 1000002,
  secret: 'page-test-app-secret',
  token: 'PageTok3n',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
}
const ROBOT_KEY = 'page-test-robot-key-7f3a'
/** Demo data: customer 1 is followed by zhangsan only; the last one's nickname is an XSS probe. */
const ZHANGSANS_CUSTOMER = demoCustomerId(1)
const XSS_CUSTOMER = demoCustomerId(32)

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

/** The simulator and its console standalone under demo mode's base path, seeded with the demo company, calling back to a local receiver. */
async function start() {
  const receiver = await startCallbackReceiver()
  cleanups.push(receiver.close)
  const simulator = createSimulator({ ...CREDENTIALS, basePath: '/wecom-sim', robotKeys: [ROBOT_KEY], callbackUrl: receiver.url })
  simulator.seed(demoCompany())
  const server = await simulator.listen(0, [demoConsole(simulator)])
  cleanups.push(server.close)
  const base = server.url
  const origin = new URL(base).origin

  return {
    simulator,
    receiver,
    base,
    origin,
    page: async (init: RequestInit = {}) => {
      const response = await fetch(`${base}/`, init)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      return response.text()
    },
    /** A form post as a browser on the page sends it (same Origin), not following the redirect. */
    post: (action: string, fields: Record<string, string>, headers: Record<string, string> = { Origin: origin }) =>
      fetch(`${base}/__demo/${action}`, { method: 'POST', body: new URLSearchParams(fields), headers, redirect: 'manual' }),
  }
}

/** The flash a 303 carries back to the page. */
function flashOf(response: Response): { location: URL; ok: string | null; error: string | null } {
  expect(response.status).toBe(303)
  const location = new URL(response.headers.get('location') ?? '', 'http://page.invalid')
  return { location, ok: location.searchParams.get('ok'), error: location.searchParams.get('error') }
}

async function accessToken(base: string): Promise<string> {
  const answer = (await (await fetch(`${base}/cgi-bin/gettoken?corpid=${CREDENTIALS.corpId}&corpsecret=${CREDENTIALS.secret}`)).json()) as { access_token: string }
  return answer.access_token
}

function decryptedEvent(body: string): string {
  const encrypted = /<Encrypt><!\[CDATA\[(.+?)\]\]><\/Encrypt>/.exec(body)?.[1] ?? ''
  return decrypt(CREDENTIALS.aesKey, encrypted).message
}

describe('demo page', () => {
  it('lists members, customers, follows and tags, escaping every nickname and showing no credential', async () => {
    const { simulator, base, page } = await start()
    const token = await accessToken(base)

    const bare = await fetch(base, { redirect: 'manual' })
    expect(bare.status).toBe(302)
    expect(bare.headers.get('location')).toBe('/wecom-sim/')

    const html = await page()
    expect(html).toContain('赵敏（zhaomin）')
    expect(html).toContain('<code>wanglei</code>')
    expect(html).toContain('重要客户')
    expect(html).toContain(XSS_CUSTOMER)
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).toContain('&#34;引号&#34;&#39;与&#39;&#60;script&#62;alert(1)&#60;/script&#62;')
    expect(html).not.toContain('<b>加粗</b>')
    expect(html).toContain(`<code>${CREDENTIALS.corpId}</code>`)
    for (const secret of [CREDENTIALS.secret, CREDENTIALS.token, CREDENTIALS.aesKey, token, simulator.tickets.corp, simulator.tickets.agent]) {
      expect(html).not.toContain(secret)
    }

    simulator.callbackUrl = undefined
    expect(await page()).toContain('未设置回调地址')
  })

  it('delivers one callback when a customer adds a member and says what our server answered', async () => {
    const { simulator, receiver, post, base } = await start()
    const before = simulator.company.customers.size

    const { location, ok, error } = flashOf(await post('customer-adds-member', { userid: 'lisi', externalUserid: '', name: '新客<img src=x>', state: 'store-qr' }))

    expect(error).toBeNull()
    expect(ok).toContain('回调已送达 (200)')
    expect(location.pathname).toBe('/wecom-sim/')
    const added = [...simulator.company.customers.values()].find((customer) => customer.name === '新客<img src=x>')
    expect(simulator.company.customers.size).toBe(before + 1)
    expect(simulator.company.follow('lisi', added?.external_userid ?? '')).toMatchObject({ state: 'store-qr', deletedByCustomer: false })
    expect(receiver.received).toHaveLength(1)
    const event = decryptedEvent(receiver.received[0]?.body ?? '')
    expect(event).toContain('<ChangeType><![CDATA[add_external_contact]]></ChangeType>')
    expect(event).toContain(`<ExternalUserID><![CDATA[${added?.external_userid}]]></ExternalUserID>`)

    const shown = await (await fetch(new URL(location.pathname + location.search, base))).text()
    expect(shown).toContain('回调已送达 (200)')
    expect(shown).toContain('新客&#60;img src=x&#62;')
    expect(shown).not.toContain('<img src=x>')
  })

  it('turns edits, tag and member changes into the matching callbacks and shows the result', async () => {
    const { simulator, receiver, post, page } = await start()
    const follow = { userid: 'zhangsan', externalUserid: ZHANGSANS_CUSTOMER }

    const edited = flashOf(await post('member-edits-customer', { ...follow, remark: '老客户', addTagId: 'etDemoPerfume', removeTagId: 'etDemoVip' }))
    expect(edited.ok).toContain('回调已送达 (200)')
    expect(flashOf(await post('admin-renames-tag', { tagId: 'etDemoNormal', name: '一般客户' })).ok).toContain('改名为「一般客户」')
    expect(flashOf(await post('admin-updates-member', { userid: 'lisi', name: '李思' })).ok).toContain('姓名改为「李思」')
    expect(flashOf(await post('customer-deletes-member', follow)).ok).toContain('回调已送达 (200)')

    expect(simulator.company.follow('zhangsan', ZHANGSANS_CUSTOMER)).toMatchObject({ remark: '老客户', tagIds: ['etDemoSkin', 'etDemoStore', 'etDemoPerfume'], deletedByCustomer: true })
    const events = receiver.received.map((delivery) => /<(?:ChangeType)>(?:<!\[CDATA\[)?(\w+)/.exec(decryptedEvent(delivery.body))?.[1])
    expect(events).toEqual(['edit_external_contact', 'update', 'update_user', 'del_follow_user'])
    const html = await page()
    expect(html).toContain('备注「老客户」')
    expect(html).toContain('客户已删除该成员')
    expect(html).toContain('一般客户')
    expect(html).toContain('李思（lisi）')
  })

  it('refuses impossible changes with a Chinese reason and delivers nothing', async () => {
    const { simulator, receiver, post } = await start()

    expect(flashOf(await post('member-deletes-customer', { userid: 'lisi', externalUserid: ZHANGSANS_CUSTOMER })).error).toContain('没有好友关系')
    expect(flashOf(await post('customer-deletes-member', { userid: 'ghost', externalUserid: ZHANGSANS_CUSTOMER })).error).toContain('没有成员「ghost」')
    expect(flashOf(await post('member-edits-customer', { userid: 'zhangsan', externalUserid: ZHANGSANS_CUSTOMER })).error).toContain('请填写新备注')
    expect(flashOf(await post('admin-renames-tag', { tagId: 'etNoSuchTag', name: '新名' })).error).toContain('没有标签或标签组')
    expect(flashOf(await post('admin-creates-tag', { groupName: '客户等级', tagName: '' })).error).toBe('请填写标签名称。')
    expect(flashOf(await post('member-edits-customer', { userid: 'zhangsan', externalUserid: ZHANGSANS_CUSTOMER, remark: '超'.repeat(21) })).error).toContain('不能超过 20 个字符')

    expect(receiver.received).toHaveLength(0)
    expect(simulator.company.follow('zhangsan', ZHANGSANS_CUSTOMER)).toBeDefined()
    expect(simulator.company.tags.get('etDemoVip')?.name).toBe('重要客户')
  })

  it('refuses a post from another origin (403) and oversized bodies (413), changing nothing', async () => {
    const { simulator, receiver, post } = await start()
    const fields = { userid: 'zhangsan', externalUserid: ZHANGSANS_CUSTOMER }

    const foreign = await post('member-deletes-customer', fields, { Origin: 'https://evil.example' })
    expect(foreign.status).toBe(403)
    expect(await foreign.text()).toContain('其他网站')
    const oversized = await post('member-deletes-customer', { ...fields, padding: 'x'.repeat(17 * 1024) })
    expect(oversized.status).toBe(413)

    expect(simulator.company.follow('zhangsan', ZHANGSANS_CUSTOMER)).toBeDefined()
    expect(receiver.received).toHaveLength(0)
  })

  it('shows a change that happened without a callback when no callback URL is set', async () => {
    const { simulator, receiver, post } = await start()
    simulator.callbackUrl = undefined

    const { error } = flashOf(await post('customer-deletes-member', { userid: 'zhangsan', externalUserid: ZHANGSANS_CUSTOMER }))

    expect(error).toContain('没有设置回调地址')
    expect(simulator.company.follow('zhangsan', ZHANGSANS_CUSTOMER)?.deletedByCustomer).toBe(true)
    expect(receiver.received).toHaveLength(0)
  })

  it('sets the OAuth member cookie, and authorize then logs in as that member', async () => {
    const { base, page, post } = await start()

    const chosen = await post('oauth-user', { userid: 'lisi' })
    expect(flashOf(chosen).ok).toContain('李四（lisi）')
    const setCookie = chosen.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/^wecom_sim_user=lisi; path=\/; samesite=lax; httponly$/)
    const cookie = setCookie.split(';')[0] ?? ''
    expect(await page({ headers: { cookie } })).toContain('当前身份：<strong>李四（lisi）</strong>')

    const query = new URLSearchParams({ appid: CREDENTIALS.corpId, redirect_uri: 'http://127.0.0.1/sidebar/', response_type: 'code', scope: 'snsapi_base', state: 's1' })
    const authorize = await fetch(`${base}/connect/oauth2/authorize?${query}`, { headers: { cookie }, redirect: 'manual' })
    expect(authorize.status).toBe(302)
    const code = new URL(authorize.headers.get('location') ?? '').searchParams.get('code') ?? ''
    const token = await accessToken(base)
    expect(await (await fetch(`${base}/cgi-bin/auth/getuserinfo?access_token=${token}&code=${code}`)).json()).toMatchObject({ errcode: 0, userid: 'lisi' })

    const unknown = await post('oauth-user', { userid: 'ghost' })
    expect(flashOf(unknown).error).toContain('没有成员「ghost」')
    expect(unknown.headers.get('set-cookie')).toBeNull()
  })

  it('shows the app and robot messages our bot sent, newest first and escaped', async () => {
    const { base, page } = await start()
    const token = await accessToken(base)
    const send = async (path: string, body: unknown) => {
      const answer = (await (await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as { errcode: number }
      expect(answer.errcode).toBe(0)
    }

    await send(`/cgi-bin/message/send?access_token=${token}`, { touser: 'zhangsan', msgtype: 'text', agentid: CREDENTIALS.agentId, text: { content: '第一条：<b>请跟进</b>' } })
    await send(`/cgi-bin/message/send?access_token=${token}`, {
      touser: 'lisi|zhaomin',
      msgtype: 'textcard',
      agentid: CREDENTIALS.agentId,
      textcard: { title: '第二条：跟进逾期', description: '3 位客户超过 7 天未跟进', url: 'https://scrm.example/sidebar/' },
    })
    await send(`/cgi-bin/webhook/send?key=${ROBOT_KEY}`, { msgtype: 'markdown', markdown: { content: '**日报**：新增客户 2 位' } })

    const html = await page()
    expect(html).toContain('第一条：&#60;b&#62;请跟进&#60;/b&#62;')
    expect(html).toContain('发给：张三（zhangsan）')
    expect(html).toContain('发给：李四（lisi）、赵敏（zhaomin）')
    expect(html).toContain('3 位客户超过 7 天未跟进')
    expect(html.indexOf('第二条：跟进逾期')).toBeLessThan(html.indexOf('第一条'))
    expect(html).toContain('<strong>日报</strong>：新增客户 2 位')
    expect(html).toContain('类型 markdown')
    expect(html).not.toContain(ROBOT_KEY)
  })
})

describe('demo page forms that need a member and one of their customers', () => {
  /** The <select name> inside the form posting to `action`. */
  const selectIn = (html: string, action: string, name: string) => {
    const form = new RegExp(`<form method="post" action="/wecom-sim/__demo/${action}"[^>]*>([\\s\\S]*?)</form>`).exec(html)?.[1] ?? ''
    return new RegExp(`<select name="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(form)?.[1] ?? ''
  }
  const selectedValue = (options: string) => /<option value="([^"]*)"[^>]*selected/.exec(options)?.[1]

  it('offers by default a member and a customer of theirs, so that the form works as it stands', async () => {
    const { simulator, page, post } = await start()
    const html = await page()
    for (const action of ['open-sidebar', 'member-deletes-customer', 'customer-deletes-member', 'member-edits-customer']) {
      const userid = selectedValue(selectIn(html, action, 'userid'))
      const externalUserid = selectedValue(selectIn(html, action, 'externalUserid'))
      expect(simulator.company.follow(userid ?? '', externalUserid ?? ''), action).toBeDefined()
    }
    const opened = await post('open-sidebar', {
      userid: selectedValue(selectIn(html, 'open-sidebar', 'userid'))!,
      externalUserid: selectedValue(selectIn(html, 'open-sidebar', 'externalUserid'))!,
    })
    expect(opened.headers.get('location')).toBe('/sidebar/')
    // Each customer names their members, for the page script that narrows the list.
    expect(selectIn(html, 'open-sidebar', 'externalUserid')).toContain(`<option value="${ZHANGSANS_CUSTOMER}" data-followers="zhangsan">`)
  })

  it('narrows the customers with a served script the page CSP allows, and no inline script', async () => {
    const { base, page } = await start()
    const response = await fetch(`${base}/`)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain("'unsafe-inline' ;")
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/)
    const html = await page()
    expect(html).toContain('<script src="/wecom-sim/demo-page.js" defer></script>')
    expect(html).not.toMatch(/<script>|\son\w+=/)
    const script = await fetch(`${base}/demo-page.js`)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/^application\/javascript/)
    expect(await script.text()).toContain('data-follow-filter')
  })

  it('without the script, refuses a member and a customer who are not friends, saying whom to pick', async () => {
    const { post } = await start()
    const { error } = flashOf(await post('open-sidebar', { userid: 'lisi', externalUserid: ZHANGSANS_CUSTOMER }))
    expect(error).toContain('李四（lisi）没有添加客户「🌸小美」，不能和他单聊。')
    expect(error).toContain('请选择添加了这位客户的成员：张三（zhangsan）')
  })
})

describe('bot messages as the WeCom client shows them', () => {
  async function sent(messages: { path: 'message' | 'robot'; body: Record<string, unknown> }[]) {
    const context = await start()
    const token = await accessToken(context.base)
    for (const { path, body } of messages) {
      const url = path === 'message' ? `${context.base}/cgi-bin/message/send?access_token=${token}` : `${context.base}/cgi-bin/webhook/send?key=${ROBOT_KEY}`
      const answer = (await (await fetch(url, { method: 'POST', body: JSON.stringify({ agentid: CREDENTIALS.agentId, ...body }) })).json()) as { errcode: number }
      expect(answer.errcode).toBe(0)
    }
    return { ...context, html: await context.page() }
  }
  const section = (html: string, id: string) => new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html)?.[1] ?? ''

  it('renders a textcard: title, description with its gray and highlight lines, and a button that opens the link as the recipient', async () => {
    const cardUrl = `http://127.0.0.1/sidebar/#/customer/${XSS_CUSTOMER}`
    const { html, post } = await sent([
      {
        path: 'message',
        body: {
          touser: 'zhangsan',
          msgtype: 'textcard',
          textcard: { title: '客户流失提醒', description: '<div class="gray">2024年5月1日</div><div class="highlight">"><img src=x onerror=alert(1)></div>已删除你', url: cardUrl, btntxt: '查看客户' },
        },
      },
    ])
    const messages = section(html, 'app-messages')
    expect(messages).toContain('<strong>客户流失提醒</strong>')
    expect(messages).toContain('<div class="card-gray">2024年5月1日</div><div class="card-highlight">&#34;&#62;&#60;img src=x onerror=alert(1)&#62;</div>已删除你')
    expect(messages).not.toMatch(/<img|onerror=alert\(1\)>/)
    expect(messages).toContain('action="/wecom-sim/__demo/open-link"')
    expect(messages).toContain(`<input type="hidden" name="url" value="${cardUrl}">`)
    expect(messages).toContain('>查看客户</button>')

    const opened = await post('open-link', { userid: 'zhangsan', url: cardUrl })
    expect(opened.status).toBe(303)
    expect(opened.headers.get('location')).toBe(cardUrl)
    expect(opened.headers.get('set-cookie')).toContain('wecom_sim_user=zhangsan')
    expect(opened.headers.get('set-cookie')).toContain(`wecom_sim_chat=${encodeURIComponent(`single_chat_tools|${XSS_CUSTOMER}`)}`)
    expect(flashOf(await post('open-link', { userid: 'zhangsan', url: 'javascript:alert(1)' })).error).toContain('只能打开 http(s) 链接')
  })

  it('renders markdown: headings, bold, quotes, font colours, mentions and http(s) links; markup in names stays text', async () => {
    const content = [
      '# 今日跟进 <script>alert(1)</script>',
      '> 逾期 <font color="warning">3</font> 位，<font color="info">新客</font> **2** 位',
      '<@zhaomin> 请跟进 [查看](https://scrm.example/sidebar/#/todo) [坏链接](javascript:alert(1)) [另一个站](//evil.example/x)',
      '"><img src=x onerror=alert(1)> <font color="red">不认识的颜色</font>',
    ].join('\n')
    const { html } = await sent([{ path: 'robot', body: { msgtype: 'markdown', markdown: { content } } }])
    const messages = section(html, 'robot-messages')
    expect(messages).toContain('<div class="md-h1">今日跟进 &#60;script&#62;alert(1)&#60;/script&#62;</div>')
    expect(messages).toContain('<blockquote>逾期 <span class="md-warning">3</span> 位，<span class="md-info">新客</span> <strong>2</strong> 位</blockquote>')
    expect(messages).toContain('<span class="mention">@赵敏</span> 请跟进 <a href="https://scrm.example/sidebar/#/todo" rel="noopener noreferrer">查看</a>')
    expect(messages).toContain('[坏链接](javascript:alert(1))')
    expect(messages).toContain('[另一个站](//evil.example/x)')
    expect(messages).toContain('&#60;font color=&#34;red&#34;&#62;不认识的颜色&#60;/font&#62;')
    expect(messages).not.toMatch(/<script|<img|href="javascript|href="\/\//)
  })

  it('keeps the page whole when a description closes more divs than it opens', async () => {
    const { html } = await sent([{ path: 'message', body: { touser: 'zhangsan', msgtype: 'textcard', textcard: { title: 't', description: '</div></div></section><div class="gray">开着', url: 'https://scrm.example/' } } }])
    expect(section(html, 'app-messages')).toContain('<div class="card-body">&#60;/div&#62;&#60;/div&#62;&#60;/section&#62;<div class="card-gray">开着</div></div>')
  })
})

describe('「联系我」 and welcomes on the demo page', () => {
  /** A call to the simulator's API with a fresh token; the answer must be ok. */
  async function api(base: string, path: string, body: unknown): Promise<Record<string, unknown>> {
    const answer = (await (await fetch(`${base}${path}?access_token=${await accessToken(base)}`, { method: 'POST', body: JSON.stringify(body) })).json()) as Record<string, unknown>
    expect(answer.errcode).toBe(0)
    return answer
  }
  const section = (html: string, id: string) => new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html)?.[1] ?? ''

  it('lists the ways our server created, and a scan of one delivers the real callback, naming who took the customer', async () => {
    const { base, simulator, receiver, page, post } = await start()
    expect(section(await page(), 'contact-ways')).toContain('我们的服务器还没有创建「联系我」。')
    const { config_id: configId } = await api(base, '/cgi-bin/externalcontact/add_contact_way', { type: 2, scene: 2, remark: '<b>门店</b>', state: 'cw:1', user: ['zhangsan', 'lisi'], party: [2] })

    const ways = section(await page(), 'contact-ways')
    expect(ways).toContain('&#60;b&#62;门店&#60;/b&#62;')
    expect(ways).not.toContain('<b>门店</b>')
    expect(ways).toContain('<code>cw:1</code>')
    expect(ways).toContain('张三（zhangsan）、李四（lisi）、部门「销售一部」')
    expect(ways).toContain('多人 · 免验证')
    expect(ways).toContain(`<img src="/wecom-sim/contact-way/qr/${String(configId)}.png"`)
    expect(ways).toContain('action="/wecom-sim/__demo/customer-scans-contact-way"')

    const named = flashOf(await post('customer-scans-contact-way', { configId: String(configId), name: '扫码的<i>人</i>' }))
    expect(named.ok).toBe('客户「扫码的<i>人</i>」扫描了「联系我」「<b>门店</b>」，添加了张三（zhangsan）（免验证）。回调已送达 (200)')
    const generated = flashOf(await post('customer-scans-contact-way', { configId: String(configId) }))
    expect(generated.ok).toMatch(/^客户「扫码客户\d{4}」扫描了「联系我」「<b>门店<\/b>」，添加了李四（lisi）/)

    const events = receiver.received.map((delivery) => decryptedEvent(delivery.body))
    expect(events).toHaveLength(2)
    for (const event of events) {
      expect(event).toContain('<ChangeType><![CDATA[add_half_external_contact]]></ChangeType>')
      expect(event).toContain('<State><![CDATA[cw:1]]></State>')
      expect(event).toMatch(/<WelcomeCode><!\[CDATA\[[\w-]+\]\]><\/WelcomeCode>/)
    }
    expect([...simulator.company.customers.values()].some((customer) => customer.name === '扫码的<i>人</i>')).toBe(true)

    simulator.removeContactWay(String(configId))
    expect(flashOf(await post('customer-scans-contact-way', { configId: String(configId) })).error).toContain('这个「联系我」已不存在')
    expect(receiver.received).toHaveLength(2)
  })

  it('serves the scan page its QR code encodes, and the code as an image the page CSP allows', async () => {
    const { base, origin, post } = await start()
    const { config_id: configId, qr_code: qrCode } = await api(base, '/cgi-bin/externalcontact/add_contact_way', { type: 1, scene: 2, remark: '李四的码', user: ['lisi'] })
    const scanUrl = `${base}/contact-way/scan?config_id=${String(configId)}`

    const image = await fetch(String(qrCode))
    expect(image.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await image.arrayBuffer()).equals(await QRCode.toBuffer(scanUrl, { type: 'png', margin: 2, width: 256 }))).toBe(true)
    expect((await fetch(`${base}/`)).headers.get('content-security-policy')).toContain("img-src 'self'")

    const scanned = await fetch(scanUrl)
    expect(scanned.status).toBe(200)
    expect(scanned.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = await scanned.text()
    expect(html).toContain('你用微信扫描了「联系我」二维码「李四的码」。')
    expect(html).toContain('接待成员：李四（lisi）')
    expect(html).toContain(`<input type="hidden" name="configId" value="${String(configId)}">`)
    expect(flashOf(await post('customer-scans-contact-way', { configId: String(configId), name: '路人' }, { Origin: origin })).ok).toContain('添加了李四（lisi）')

    expect((await fetch(`${base}/contact-way/scan?config_id=nope`)).status).toBe(404)
  })

  it('shows the welcomes sent, newest first, their attachments as text and links, escaped', async () => {
    const { base, simulator, receiver, page } = await start()
    const welcomeCode = async (external_userid: string) => {
      await simulator.customerAddsMember({ userid: 'lisi', customer: { external_userid, name: `新客${external_userid}` } })
      return /<WelcomeCode><!\[CDATA\[([\w-]+)\]\]>/.exec(decryptedEvent(receiver.received.at(-1)?.body ?? ''))?.[1]
    }
    const form = new FormData()
    form.append('media', new Blob([new Uint8Array(await QRCode.toBuffer('门店照片'))], { type: 'image/png' }), '门店<照片>.png')
    const uploaded = (await (await fetch(`${base}/cgi-bin/media/upload?access_token=${await accessToken(base)}&type=image`, { method: 'POST', body: form })).json()) as { media_id: string }

    await api(base, '/cgi-bin/externalcontact/send_welcome_msg', { welcome_code: await welcomeCode('wmFirst'), text: { content: '第一条：<b>欢迎</b>' } })
    await api(base, '/cgi-bin/externalcontact/send_welcome_msg', {
      welcome_code: await welcomeCode('wmSecond'),
      text: { content: '第二条' },
      attachments: [
        { msgtype: 'image', image: { media_id: uploaded.media_id } },
        { msgtype: 'link', link: { title: '门店地址', url: 'https://scrm.example/store', desc: '"><script>alert(1)</script>' } },
        { msgtype: 'link', link: { title: '坏链接', url: 'javascript:alert(1)' } },
      ],
    })

    const welcomes = section(await page(), 'welcome-messages')
    expect(welcomes).toContain('<h2>欢迎语（2）</h2>')
    expect(welcomes).toContain('成员 李四（lisi） → 客户 新客wmSecond（wmSecond）')
    expect(welcomes).toContain('第一条：&#60;b&#62;欢迎&#60;/b&#62;')
    expect(welcomes.indexOf('第二条')).toBeLessThan(welcomes.indexOf('第一条'))
    expect(welcomes).toContain(`[图片] 门店&#60;照片&#62;.png（${uploaded.media_id}）`)
    expect(welcomes).toContain('[链接] <a href="https://scrm.example/store" rel="noopener noreferrer">门店地址</a>')
    expect(welcomes).toContain('[链接] 坏链接 <span class="muted">javascript:alert(1)</span>')
    expect(welcomes).not.toMatch(/<script|href="javascript/)
  })
})
