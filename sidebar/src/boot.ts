import * as ww from '@wecom/jssdk'
import { api, configureApi } from './api'
import { messages } from './messages'
import type { SessionInfo, Signature } from './types'

export type StartPage =
  | { page: 'panel'; externalUserid: string }
  | { page: 'todo' }
  | { page: 'group' }
  | { page: 'notice'; message: string }

const JS_API_LIST = ['getContext', 'getCurExternalContact', 'getCurExternalChat', 'sendChatMessage']
/** The SDK waits for the WeCom host forever; we do not. */
const CONTEXT_TIMEOUT_MS = 8_000

const pageUrl = () => location.href.split('#')[0]!

function signIn(): void {
  const here = `${location.pathname}${location.search}${location.hash}`
  location.assign(`/api/auth/start?return=${encodeURIComponent(here)}`)
}

/**
 * The session: coming back from WeCom OAuth, exchange the code (after taking it out of the
 * URL, so that the JS-SDK signs the URL the page keeps); otherwise ask for the current one.
 * Either call also brings the page's JS-SDK signatures. Null while redirecting to sign in.
 */
async function session(): Promise<SessionInfo | null> {
  const url = new URL(location.href)
  const code = url.searchParams.get('code')
  const state = url.searchParams.get('state')
  if (code && state) {
    url.searchParams.delete('code')
    url.searchParams.delete('state')
    history.replaceState(history.state, '', url)
    return api<SessionInfo>('/api/auth/session', { method: 'POST', body: { code, state, url: pageUrl() } })
  }
  const response = await fetch(`/api/session?url=${encodeURIComponent(pageUrl())}`, { credentials: 'same-origin' })
  if (response.status === 401) {
    signIn()
    return null
  }
  if (!response.ok) throw new Error(`session: HTTP ${response.status}`)
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

/** Which page to show: from the URL (the to-do list, a customer from a bot message) or from where WeCom opened us. */
async function startPage(): Promise<StartPage> {
  if (location.hash === '#/todo') return { page: 'todo' }
  const linked = /^#\/customer\/([^/]+)$/.exec(location.hash)
  if (linked) {
    try {
      return { page: 'panel', externalUserid: decodeURIComponent(linked[1]!) }
    } catch {
      return { page: 'notice', message: messages.noCustomer }
    }
  }
  const inWecom = /wxwork\//i.test(navigator.userAgent) || 'WeixinJSBridge' in window
  if (!inWecom) return { page: 'notice', message: messages.outsideWecom }
  try {
    const { entry } = await withTimeout(ww.getContext())
    if (entry === 'group_chat_tools') return { page: 'group' }
    if (entry !== 'single_chat_tools' && entry !== 'contact_profile') return { page: 'notice', message: messages.noCustomer }
    const { userId } = await withTimeout(ww.getCurExternalContact())
    return userId ? { page: 'panel', externalUserid: userId } : { page: 'notice', message: messages.noCustomer }
  } catch (error) {
    return { page: 'notice', message: describeFailure(error) }
  }
}

/** Everything before the first screen: at most two round trips to us (session, then panel). */
export async function boot(): Promise<{ session: SessionInfo; start: StartPage } | null> {
  const info = await session()
  if (!info) return null
  configureApi({ csrfToken: info.csrfToken, onUnauthorized: signIn })
  registerJsSdk(info)
  return { session: info, start: await startPage() }
}

export const sendText = (content: string) => ww.sendChatMessage({ msgtype: 'text', text: { content } } as Parameters<typeof ww.sendChatMessage>[0])
