import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Session } from '../entities'
import { parseConfig } from '../../config'
import { errorBody, freePort, serveApp } from '../../test/app'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'
import { Browser } from '../../test/browserSession'
import type { RunningServer } from '../server'

let harness: WecomHarness
let base: string
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true })
  base = harness.server!.url
})
afterEach(() => harness.cleanup())

describe(`sign-in through WeCom OAuth on ${testDatabaseKind}`, () => {
  it('signs a member in: authorize, back to the page, a session cookie', async () => {
    const browser = new Browser(harness)
    const start = await browser.fetch(`${base}/api/auth/start?return=/sidebar/`)
    const authorize = new URL(start.headers.get('location')!.replace('#wechat_redirect', ''))
    expect(authorize.pathname).toBe('/connect/oauth2/authorize')
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      appid: harness.wecomConfig.corpId,
      redirect_uri: `${base}/sidebar/`,
      response_type: 'code',
      scope: 'snsapi_base',
      agentid: '1000002',
    })
    expect(start.headers.get('location')).toMatch(/#wechat_redirect$/)

    const page = await browser.authorize('seller')
    expect(`${page.origin}${page.pathname}`).toBe(`${base}/sidebar/`)
    expect(page.searchParams.get('tab')).toBe('todo')
    const signedIn = await browser.signIn(page)
    expect(signedIn.status).toBe(200)
    const body = (await signedIn.json()) as { member: { userid: string }; csrfToken: string; wecom: { corpId: string } }
    expect(body.member).toEqual({ userid: 'seller', name: '陈浩', isOperator: false })
    expect(body.wecom.corpId).toBe(harness.wecomConfig.corpId)
    const cookie = browser.lastSetCookies.find((c) => c.startsWith('scrm_session='))!
    expect(cookie).toMatch(/httponly/i)
    expect(cookie).toMatch(/samesite=lax/i)
    expect(cookie).not.toMatch(/secure/i)

    const session = await browser.fetch(`${base}/api/session`)
    expect(session.status).toBe(200)
    expect(((await session.json()) as { member: { userid: string } }).member.userid).toBe('seller')
    // The database keeps only the token's hash.
    const token = browser.cookies.get('scrm_session')!
    const [row] = await harness.dataSource.getRepository(Session).find()
    expect(row!.tokenHash).toBe(createHash('sha256').update(token).digest('hex'))
  })

  it('refuses a code obtained by someone else (the state is bound to the browser)', async () => {
    const attacker = new Browser(harness)
    const attackersPage = await attacker.authorize('colleague')
    const victim = new Browser(harness)
    const response = await victim.signIn(attackersPage)
    expect(response.status).toBe(403)
    expect((await errorBody(response)).id).toBe('oauth_state')
    expect(await harness.dataSource.getRepository(Session).count()).toBe(0)
  })

  it('refuses a code used twice', async () => {
    const browser = new Browser(harness)
    const page = await browser.authorize('seller')
    expect((await browser.signIn(page)).status).toBe(200)
    await browser.fetch(`${base}/api/auth/start?return=/sidebar/`)
    const replay = await browser.fetch(`${base}/api/auth/session`, {
      method: 'POST',
      body: JSON.stringify({ code: page.searchParams.get('code'), state: browser.cookies.get('scrm_oauth_state') }),
      headers: { 'content-type': 'application/json' },
    })
    expect(replay.status).toBe(401)
    expect((await errorBody(replay)).id).toBe('oauth_code')
  })

  it('refuses to return to another site, and bad sign-in bodies', async () => {
    for (const target of ['https://evil.example/sidebar/', '//evil.example/sidebar/', '/sidebar//evil.example', '/api/session']) {
      expect((await fetch(`${base}/api/auth/start?return=${encodeURIComponent(target)}`, { redirect: 'manual' })).status).toBe(400)
    }
    const notJson = await fetch(`${base}/api/auth/session`, { method: 'POST', body: 'code=1' })
    expect([notJson.status, (await errorBody(notJson)).id]).toEqual([400, 'bad_request'])
    const missing = await fetch(`${base}/api/auth/session`, { method: 'POST', body: '{}' })
    expect([missing.status, (await errorBody(missing)).id]).toEqual([400, 'validation_failed'])
  })

  it('sets no session cookie and keeps no session when it refuses a sign-in', async () => {
    const browser = new Browser(harness)
    const page = await browser.authorize('seller')
    const refused = await browser.fetch(`${base}/api/auth/session`, {
      method: 'POST',
      body: JSON.stringify({ code: page.searchParams.get('code'), state: page.searchParams.get('state'), url: 'https://evil.example/sidebar/' }),
      headers: { 'content-type': 'application/json' },
    })
    expect([refused.status, (await errorBody(refused)).id]).toEqual([400, 'bad_request'])
    expect(refused.headers.getSetCookie().some((cookie) => cookie.startsWith('scrm_session='))).toBe(false)
    expect(browser.cookies.has('scrm_session')).toBe(false)
    expect(await harness.dataSource.getRepository(Session).count()).toBe(0)
    // Refused before the one-time code was spent: the same sign-in, with our own page, works.
    expect((await browser.signIn(page)).status).toBe(200)
    expect(browser.cookies.has('scrm_session')).toBe(true)
  })

  it('marks its cookies Secure when PUBLIC_URL is https', async () => {
    const config = parseConfig({ PUBLIC_URL: 'https://scrm.example.com', SESSION_SECRET: 'x'.repeat(40) })
    const server = await serveApp(harness.dataSource, { wecom: harness.wecom, config })
    try {
      const start = await fetch(`${server.url}/api/auth/start?return=/sidebar/`, { redirect: 'manual' })
      expect(start.headers.getSetCookie().every((cookie) => /;\s*secure/i.test(cookie))).toBe(true)
      expect(decodeURIComponent(start.headers.get('location')!)).toContain('redirect_uri=https://scrm.example.com/sidebar/')
    } finally {
      await server.stop()
    }
  })

  it('ends a session at its absolute expiry, however active', async () => {
    const browser = new Browser(harness)
    await browser.signIn(await browser.authorize('seller'))
    await harness.dataSource.createQueryBuilder().update(Session).set({ expiresAt: new Date(Date.now() - 1000) }).execute()
    expect((await browser.fetch(`${base}/api/session`)).status).toBe(401)
  })

  it('ends a session idle for more than 12 hours', async () => {
    const browser = new Browser(harness)
    await browser.signIn(await browser.authorize('seller'))
    await harness.dataSource.createQueryBuilder().update(Session).set({ lastSeenAt: new Date(Date.now() - 13 * 3600_000) }).execute()
    const response = await browser.fetch(`${base}/api/session`)
    expect(response.status).toBe(401)
    expect(await harness.dataSource.getRepository(Session).count()).toBe(0)
  })
})

describe(`JS-SDK signatures on ${testDatabaseKind}`, () => {
  async function signedIn(): Promise<{ browser: Browser; csrfToken: string }> {
    const browser = new Browser(harness)
    const response = await browser.signIn(await browser.authorize('colleague'))
    return { browser, csrfToken: ((await response.json()) as { csrfToken: string }).csrfToken }
  }
  const sign = (browser: Browser, body: unknown, csrfToken?: string) =>
    browser.fetch(`${base}/api/jssdk/signature`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}) },
    })

  it('signs our page URL with the app ticket as WeCom checks it, without sending the ticket', async () => {
    const { browser, csrfToken } = await signedIn()
    const url = `${base}/sidebar/?tab=todo`
    for (const [kind, ticket] of [['agent', harness.simulator.tickets.agent], ['corp', harness.simulator.tickets.corp]] as const) {
      const response = await sign(browser, { url: `${url}#panel`, kind }, csrfToken)
      expect(response.status).toBe(200)
      const text = await response.text()
      expect(text).not.toContain(ticket)
      const { timestamp, nonceStr, signature } = JSON.parse(text) as { timestamp: string; nonceStr: string; signature: string }
      const expected = createHash('sha1').update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`).digest('hex')
      expect(signature).toBe(expected)
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5)
    }
  })

  it('hands both signatures out with the session, for the page URL it is given', async () => {
    const { browser } = await signedIn()
    const url = `${base}/sidebar/`
    const response = await browser.fetch(`${base}/api/session?url=${encodeURIComponent(url)}`)
    const { signatures } = (await response.json()) as { signatures: Record<'corp' | 'agent', { timestamp: string; nonceStr: string; signature: string }> }
    for (const [kind, ticket] of [['agent', harness.simulator.tickets.agent], ['corp', harness.simulator.tickets.corp]] as const) {
      const { timestamp, nonceStr, signature } = signatures[kind]
      expect(signature).toBe(createHash('sha1').update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`).digest('hex'))
    }
    expect((await browser.fetch(`${base}/api/session?url=${encodeURIComponent('https://evil.example/')}`)).status).toBe(400)
  })

  it('needs a session and the CSRF token, and signs only our own pages', async () => {
    expect((await fetch(`${base}/api/jssdk/signature`, { method: 'POST', body: '{}' })).status).toBe(401)
    const { browser, csrfToken } = await signedIn()
    const withoutToken = await sign(browser, { url: `${base}/sidebar/`, kind: 'agent' })
    expect([withoutToken.status, (await errorBody(withoutToken)).id]).toEqual([403, 'csrf'])
    const wrongToken = await sign(browser, { url: `${base}/sidebar/`, kind: 'agent' }, 'x'.repeat(32))
    expect(wrongToken.status).toBe(403)
    const elsewhere = await sign(browser, { url: 'https://evil.example/sidebar/', kind: 'agent' }, csrfToken)
    expect(elsewhere.status).toBe(400)
  })
})

const CHROME_DESKTOP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
const WECOM_WINDOWS_CLIENT =
  'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.116 Safari/537.36 MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63010200) wxwork/4.1.22 (MicroMessenger/6.2) WeChat/2.0.4'

describe(`the console's web login in a PC browser on ${testDatabaseKind}`, () => {
  let server: RunningServer
  let simulatorUrl: string
  beforeEach(async () => {
    // Our server with WECOM_LOGIN_BASE pointed at the harness's simulator, as with the other bases.
    simulatorUrl = harness.wecomConfig.apiBase
    const port = await freePort()
    const config = parseConfig({ PORT: String(port), PUBLIC_URL: `http://localhost:${port}` })
    const wecom = { ...harness.wecom, config: { ...harness.wecomConfig, loginBase: simulatorUrl } }
    server = await serveApp(harness.dataSource, { wecom, config })
  })
  afterEach(() => server.stop())

  const start = (browser: Browser, returnTo: string, userAgent: string) =>
    browser.fetch(`${server.url}/api/auth/start?return=${encodeURIComponent(returnTo)}`, { headers: { 'user-agent': userAgent } })
  const signIn = (browser: Browser, page: URL) =>
    browser.fetch(`${server.url}/api/auth/session`, {
      method: 'POST',
      body: JSON.stringify({ code: page.searchParams.get('code'), state: page.searchParams.get('state') }),
      headers: { 'content-type': 'application/json' },
    })

  it('sends the console in a desktop browser to web login, with every parameter in order', async () => {
    const browser = new Browser(harness)
    const response = await start(browser, '/console/', CHROME_DESKTOP)
    expect(response.status).toBe(302)
    const location = response.headers.get('location')!
    const login = new URL(location)
    expect(`${login.origin}${login.pathname}`).toBe(`${simulatorUrl}/wwlogin/sso/login`)
    expect([...login.searchParams]).toEqual([
      ['login_type', 'CorpApp'],
      ['appid', harness.wecomConfig.corpId],
      ['agentid', '1000002'],
      ['redirect_uri', `${server.url}/console/`],
      ['state', browser.cookies.get('scrm_oauth_state')],
    ])
    expect(location).toContain(`redirect_uri=${encodeURIComponent(`${server.url}/console/`)}&`)
    expect(login.hash).toBe('')
    expect(response.headers.get('vary')).toMatch(/user-agent/i)
  })

  it('keeps OAuth inside the WeCom client, and for the sidebar in any browser', async () => {
    for (const [returnTo, userAgent] of [
      ['/console/', WECOM_WINDOWS_CLIENT],
      ['/console/', 'Mozilla/5.0 WXWork/4.1.22'],
      ['/sidebar/', CHROME_DESKTOP],
      ['/sidebar/', WECOM_WINDOWS_CLIENT],
    ] as const) {
      const response = await start(new Browser(harness), returnTo, userAgent)
      const authorize = new URL(response.headers.get('location')!)
      expect(`${authorize.origin}${authorize.pathname}`, `${returnTo} in ${userAgent}`).toBe(`${simulatorUrl}/connect/oauth2/authorize`)
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${server.url}${returnTo}`)
      expect(authorize.hash).toBe('#wechat_redirect')
    }
  })

  it('signs a member in end to end through the simulated web login, once per code', async () => {
    const browser = new Browser(harness)
    const started = await start(browser, '/console/?page=team', CHROME_DESKTOP)
    harness.simulator.setOauthUser('seller')
    const login = await browser.fetch(started.headers.get('location')!, { headers: { 'user-agent': CHROME_DESKTOP } })
    expect(login.status).toBe(302)
    const page = new URL(login.headers.get('location')!)
    expect(`${page.origin}${page.pathname}`).toBe(`${server.url}/console/`)
    expect(page.searchParams.get('page')).toBe('team')

    const signedIn = await signIn(browser, page)
    expect(signedIn.status).toBe(200)
    expect(((await signedIn.json()) as { member: { userid: string } }).member.userid).toBe('seller')
    expect(((await (await browser.fetch(`${server.url}/api/session`)).json()) as { member: { userid: string } }).member.userid).toBe('seller')

    await start(browser, '/console/', CHROME_DESKTOP)
    const replay = await signIn(browser, new URL(`?code=${page.searchParams.get('code')}&state=${browser.cookies.get('scrm_oauth_state')}`, page))
    expect([replay.status, (await errorBody(replay)).id]).toEqual([401, 'oauth_code'])
  })
})
