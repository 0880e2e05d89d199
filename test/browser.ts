import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'

export const CHROMIUM = '/usr/bin/chromium'
/** A WeCom client's user agent: @wecom/jssdk then takes its agentConfig path, as in WeCom. */
export const WECOM_USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) wxwork/4.1.22 MicroMessenger/7.0.1'

/** Whether this run has a browser; REQUIRE_BROWSER=1 turns a missing one into a failure. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install -y chromium)`)
  console.warn(`⚠  Browser tests SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium).`)
  return false
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
}

/**
 * The WeCom host as @wecom/jssdk talks to it (wecom-protocol.md §5): WeixinJSBridge.invoke.
 * agentConfig is checked as WeCom checks it, against the app ticket the test passes in.
 * Runs in the page before our bundle; tests read and steer it through window.__wecomFake.
 */
export function fakeWecomHost(options: {
  agentTicket: string
  entry: string
  userId: string | null
  chatId?: string | null
  /** Calls the host refuses, with the keyword it answers (e.g. { getContext: 'fail_no permission' }). */
  fail?: Record<string, string>
}): string {
  return `(() => {
    const state = window.__wecomFake = { calls: [], entry: ${JSON.stringify(options.entry)}, userId: ${JSON.stringify(options.userId)},
      chatId: ${JSON.stringify(options.chatId ?? null)}, ticket: ${JSON.stringify(options.agentTicket)}, verified: false,
      fail: ${JSON.stringify(options.fail ?? {})} }
    const sha1 = async (text) => [...new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('')
    const answer = async (name, p) => {
      if (state.fail[name]) return { err_msg: name + ':' + state.fail[name] }
      switch (name) {
        case 'agentConfig': {
          const expected = await sha1('jsapi_ticket=' + state.ticket + '&noncestr=' + p.nonceStr + '&timestamp=' + p.timestamp + '&url=' + location.href.split('#')[0])
          state.verified = expected === p.signature
          return state.verified ? { err_msg: 'agentConfig:ok', checkResult: {} } : { err_msg: 'agentConfig:fail_no permission' }
        }
        case 'preVerifyJSAPI': return { err_msg: 'config:ok' }
        case 'getContext': return { err_msg: 'getContext:ok', entry: state.entry }
        case 'getCurExternalContact':
          return state.userId ? { err_msg: 'getCurExternalContact:ok', userId: state.userId } : { err_msg: 'getCurExternalContact:fail_without context of external contact' }
        case 'getCurExternalChat':
          return state.chatId ? { err_msg: 'getCurExternalChat:ok', chatId: state.chatId } : { err_msg: 'getCurExternalChat:fail_without context of external contact' }
        case 'sendChatMessage': return { err_msg: 'sendChatMessage:ok' }
        default: return { err_msg: name + ':fail_function not exist' }
      }
    }
    window.WeixinJSBridge = {
      invoke(name, params, callback) {
        const clean = JSON.parse(JSON.stringify(params || {}))
        state.calls.push({ name, params: clean })
        answer(name, clean).then((result) => setTimeout(() => callback(result), 0))
      },
      on() {},
    }
    document.dispatchEvent(new Event('WeixinJSBridgeReady'))
  })()`
}

/**
 * One Chromium for a test file, launched before its tests and closed after them, when the
 * machine has one: the file's browser tests run inside `describe.runIf(chromium.enabled)`
 * and open their pages in `chromium.browser`.
 */
export function chromiumForFile(): { readonly enabled: boolean; readonly browser: Browser } {
  const enabled = browserAvailable()
  let browser: Browser | undefined
  beforeAll(async () => {
    if (enabled) browser = await launchChromium()
  })
  afterAll(async () => browser?.close())
  return {
    enabled,
    get browser() {
      if (!browser) throw new Error('Chromium is not running: open pages inside describe.runIf(chromium.enabled)')
      return browser
    },
  }
}
