import * as ww from '@wecom/jssdk'
import { signInReturn } from '../../server/api/client'
import { api, configureApi } from './api'
import { messages } from './messages'
import type { SessionInfo, Signature } from './types'

/** A page that only explains, with a link when there is somewhere to go. */
export interface Notice {
  page: 'notice'
  message: string
  link?: { href: string; text: string }
}

export type StartPage =
  /** inChat: opened in the chat toolbar with this customer, so sendChatMessage can work. */
  | { page: 'panel'; externalUserid: string; inChat: boolean }
  | { page: 'todo' }
  | { page: 'group' }
  | Notice

const JS_API_LIST = ['getContext', 'getCurExternalContact', 'getCurExternalChat', 'sendChatMessage', 'openEnterpriseChat']
/** The SDK waits for the WeCom host forever; we do not. */
const CONTEXT_TIMEOUT_MS = 8_000

const pageUrl = () => location.href.split('#')[0]!

/**
 * Demo mode: the server put the simulator's stand-in WeCom host (dev-bridge.js) in the page.
 * Its folder is the simulator page, where a newcomer picks a member and a chat.
 */
function demoSimulatorPage(): string | null {
  const bridge = document.querySelector<HTMLScriptElement>('script[src$="/dev-bridge.js"]')
  return bridge ? new URL('./', bridge.src).pathname : null
}
const demoSimulator = demoSimulatorPage()
/** The WeCom client (or a test's stand-in for it): WeCom sign-in and the JS-SDK can work here. */
const inWecomClient = /wxwork\//i.test(navigator.userAgent) || (!demoSimulator && 'WeixinJSBridge' in window)

const outsideWecom: Notice = { page: 'notice', message: messages.outsideWecom }
const demoNoChat = (simulator: string): Notice => ({ page: 'notice', message: messages.demoNoChat, link: { href: simulator, text: messages.openSimulator } })

function signIn(): void {
  const here = `${location.pathname}${location.search}${location.hash}`
  // Our sign-in takes back only a plain path of ours; anything odd in the hash starts over at the page.
  const safe = /^\/sidebar\/[^\\]*$/.test(here) && !here.includes('//') ? here : '/sidebar/'
  location.assign(`/api/auth/start?return=${encodeURIComponent(safe)}`)
}

type BridgeAnswer = { entry?: string; userId?: string }
/**
 * Whether the simulator page chose a member for this browser (with a chat, or alone: then the
 * stand-in host says `normal`, a page outside any chat), whom the demo's sign-in logs in as.
 * Asks the stand-in host directly: the JS-SDK needs a session.
 */
function demoMemberChosen(): Promise<boolean> {
  const bridge = (window as unknown as { WeixinJSBridge?: { invoke(name: string, params: object, callback: (answer: BridgeAnswer) => void): void } }).WeixinJSBridge
  if (!bridge) return Promise.resolve(false)
  return new Promise((resolve) => {
    bridge.invoke('getContext', {}, (context) => {
      if (context?.entry === 'group_chat_tools' || context?.entry === 'normal') return resolve(true)
      bridge.invoke('getCurExternalContact', {}, (contact) => resolve(Boolean(contact?.userId)))
    })
  })
}

/**
 * The session: coming back from WeCom OAuth, exchange the code (after taking it out of the
 * URL, so that the JS-SDK signs the URL the page keeps); otherwise ask for the current one.
 * Either call also brings the page's JS-SDK signatures. Null while redirecting to sign in.
 */
async function session(): Promise<SessionInfo | Notice | null> {
  const back = signInReturn(location.href)
  if (back) {
    history.replaceState(history.state, '', back.cleanUrl)
    return api<SessionInfo>('/api/auth/session', { method: 'POST', body: { code: back.code, state: back.state, url: pageUrl() } })
  }
  const response = await fetch(`/api/session?url=${encodeURIComponent(pageUrl())}`, { credentials: 'same-origin' })
  if (response.status === 401) {
    // WeCom's sign-in works only inside WeCom, the demo's only once a member is chosen: say what to do instead.
    if (demoSimulator && !(await demoMemberChosen())) return demoNoChat(demoSimulator)
    if (!demoSimulator && !inWecomClient) return outsideWecom
    signIn()
    return null
  }
  if (!response.ok) throw new Error(messages.failed)
  return (await response.json()) as SessionInfo
}

function registerJsSdk(info: SessionInfo): void {
  const signed = { url: pageUrl(), signatures: info.signatures }
  const signer = (kind: 'corp' | 'agent') => async (url: string): Promise<Signature> =>
    url === signed.url && signed.signatures ? signed.signatures[kind] : api<Signature>('/api/jssdk/signature', { method: 'POST', body: { url, kind } })
  ww.register({
    corpId: info.wecom.corpId,
    agentId: info.wecom.agentId,
    jsApiList: JS_API_LIST,
    getConfigSignature: signer('corp'),
    getAgentConfigSignature: signer('agent'),
  })
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  return Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), CONTEXT_TIMEOUT_MS))])
}

/**
 * What to tell the member. WeCom says "no permission" both for a bad signature and for a
 * member without 客户联系, so which call failed tells them apart: the config step, or an API.
 */
const describeFailure = (error: unknown): string => {
  const text = String((error as { errMsg?: string })?.errMsg ?? (error as Error)?.message ?? error)
  if (/^(agentConfig|config|preVerifyJSAPI):/.test(text)) return messages.signatureFailed
  if (/permission/.test(text)) return messages.noPermission
  if (text === 'timeout') return messages.outsideWecom
  return messages.noCustomer
}
const failurePage = (error: unknown): Notice =>
  demoSimulator && describeFailure(error) === messages.noCustomer ? demoNoChat(demoSimulator) : { page: 'notice', message: describeFailure(error) }

/** The page a `#/…` address names: the to-do list, or a customer (a bot message's link, a to-do tapped). Null for any other. */
export function routedPage(hash: string): StartPage | null {
  if (hash === '#/todo') return { page: 'todo' }
  const linked = /^#\/customer\/([^/]+)$/.exec(hash)
  if (!linked) return null
  try {
    // Not the chat toolbar: WeCom has no chat with this customer open beside us.
    return { page: 'panel', externalUserid: decodeURIComponent(linked[1]!), inChat: false }
  } catch {
    return { page: 'notice', message: messages.noCustomer }
  }
}

/** Which page to show: from the URL (the to-do list, a customer from a bot message) or from where WeCom opened us. */
async function startPage(): Promise<StartPage> {
  const routed = routedPage(location.hash)
  if (routed) return routed
  if (!demoSimulator && !inWecomClient) return outsideWecom
  try {
    const { entry } = await withTimeout(ww.getContext())
    if (entry === 'group_chat_tools') return { page: 'group' }
    if (entry !== 'single_chat_tools' && entry !== 'contact_profile') return { page: 'notice', message: messages.noCustomer }
    const { userId } = await withTimeout(ww.getCurExternalContact())
    // From the contact profile there is no chat to send into.
    return userId ? { page: 'panel', externalUserid: userId, inChat: entry === 'single_chat_tools' } : failurePage(null)
  } catch (error) {
    return failurePage(error)
  }
}

/** Everything before the first screen: at most two round trips to us (session, then panel). */
export async function boot(): Promise<{ session: SessionInfo | null; start: StartPage } | null> {
  const info = await session()
  if (!info) return null
  if ('page' in info) return { session: null, start: info }
  configureApi({ csrfToken: info.csrfToken, onUnauthorized: signIn })
  registerJsSdk(info)
  return { session: info, start: await startPage() }
}

/**
 * Opens the chat with a customer, in the WeCom client. False where that cannot work (a plain
 * browser, the demo's stand-in host, a client that refuses): show the customer's page instead.
 */
export async function openCustomerChat(externalUserid: string): Promise<boolean> {
  if (demoSimulator || !inWecomClient) return false
  try {
    await withTimeout(ww.openEnterpriseChat({ externalUserIds: externalUserid, groupName: '' }))
    return true
  } catch {
    return false
  }
}

export const sendText = (content: string) => ww.sendChatMessage({ msgtype: 'text', text: { content } } as Parameters<typeof ww.sendChatMessage>[0])
