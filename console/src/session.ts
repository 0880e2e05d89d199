import { signInReturn } from '../../server/api/client'
import { api, ApiError, configureApi, refusal } from './api'
import type { ConsoleMe, SessionInfo } from './types'

/** Where sign-in brings the reader back: this page, never another site (the server checks it too). */
function returnPath(): string {
  const here = `${location.pathname}${location.search}${location.hash}`
  return /^\/console\/[^\\]*$/.test(here) && !here.includes('//') ? here : '/console/'
}

/** To sign-in: the server picks WeCom OAuth (inside the WeCom client) or WeCom's web login (any other browser). */
function signIn(): void {
  location.assign(`/api/auth/start?return=${encodeURIComponent(returnPath())}`)
}

/**
 * The session: coming back from sign-in, exchange the code (after taking it and the state
 * out of the URL, so that a reload or a bookmark does not reuse them); otherwise ask for
 * the current one. Null while the browser is on its way to sign in.
 */
async function session(): Promise<SessionInfo | null> {
  const back = signInReturn(location.href)
  if (back) {
    history.replaceState(history.state, '', back.cleanUrl)
    return api<SessionInfo>('/api/auth/session', { method: 'POST', body: { code: back.code, state: back.state } })
  }
  const response = await fetch('/api/session', { credentials: 'same-origin' })
  if (response.status === 401) {
    signIn()
    return null
  }
  if (!response.ok) throw refusal(response.status, null)
  return (await response.json()) as SessionInfo
}

export type Signed =
  /** An operator or a manager: what the console shows them. */
  | { access: 'granted'; session: SessionInfo; me: ConsoleMe }
  /** Signed in, but neither an operator nor a manager (403 no_console_access). */
  | { access: 'denied'; session: SessionInfo }

/** Everything before the first screen: the session, then who the console takes us for. Null while redirecting to sign in. */
export async function signedIn(): Promise<Signed | null> {
  const info = await session()
  if (!info) return null
  configureApi({ csrfToken: info.csrfToken, onUnauthorized: signIn })
  try {
    return { access: 'granted', session: info, me: await api<ConsoleMe>('/api/console/me') }
  } catch (error) {
    if (error instanceof ApiError && error.id === 'no_console_access') return { access: 'denied', session: info }
    throw error
  }
}
