import { expect } from 'vitest'
import type { WecomHarness } from './wecom'

/** A browser as far as our API sees one: a cookie jar, no redirects followed, sign-in through WeCom. */
export class Browser {
  constructor(private readonly harness: WecomHarness) {}
  private get base() {
    return this.harness.server!.url
  }
  cookies = new Map<string, string>()
  lastSetCookies: string[] = []
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    })
    this.lastSetCookies = response.headers.getSetCookie()
    for (const header of this.lastSetCookies) {
      const [pair] = header.split(';')
      const [name, value] = pair!.split('=')
      if (value === '') this.cookies.delete(name!)
      else this.cookies.set(name!, value!)
    }
    return response
  }
  /** Through our start, WeCom's authorize, and back to the page: the page's URL with code and state. */
  async authorize(userid: string): Promise<URL> {
    const start = await this.fetch(`${this.base}/api/auth/start?return=${encodeURIComponent('/sidebar/?tab=todo')}`)
    expect(start.status).toBe(302)
    this.harness.simulator.setOauthUser(userid)
    const authorize = await this.fetch(start.headers.get('location')!)
    expect(authorize.status).toBe(302)
    return new URL(authorize.headers.get('location')!)
  }
  signIn(page: URL): Promise<Response> {
    return this.fetch(`${this.base}/api/auth/session`, {
      method: 'POST',
      body: JSON.stringify({ code: page.searchParams.get('code'), state: page.searchParams.get('state') }),
      headers: { 'content-type': 'application/json' },
    })
  }
}


/** A member signed in through the whole OAuth flow; `api` adds the session's CSRF token. */
export async function signedIn(harness: WecomHarness, userid: string) {
  const browser = new Browser(harness)
  const response = await browser.signIn(await browser.authorize(userid))
  expect(response.status).toBe(200)
  const { csrfToken } = (await response.json()) as { csrfToken: string }
  const api = (path: string, init: RequestInit = {}) =>
    browser.fetch(`${harness.server!.url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken, ...(init.headers as Record<string, string>) },
    })
  return { browser, csrfToken, api }
}
