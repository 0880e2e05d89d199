import type { WecomConfig } from '../../config'

/**
 * WeCom's OAuth authorize link (wecom-protocol.md §3.3): `snsapi_base` is silent and gives
 * the member's userid; WeCom redirects to `redirectUri` with `code` and `state`.
 */
export function authorizeUrl(config: WecomConfig, redirectUri: string, state: string): string {
  const query = new URLSearchParams({
    appid: config.corpId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'snsapi_base',
    state,
    agentid: String(config.agentId),
  })
  return `${config.oauthBase}/connect/oauth2/authorize?${query}#wechat_redirect`
}

/**
 * WeCom's web login link (wecom-protocol.md §3.16), for a page opened in a PC browser: the
 * member confirms in the desktop client or by scanning, and WeCom redirects to `redirectUri`
 * with `code` and `state`, the same code `auth/getuserinfo` exchanges for OAuth.
 */
export function webLoginUrl(config: WecomConfig, redirectUri: string, state: string): string {
  const query = new URLSearchParams({
    login_type: 'CorpApp',
    appid: config.corpId,
    agentid: String(config.agentId),
    redirect_uri: redirectUri,
    state,
  })
  return `${config.loginBase}/wwlogin/sso/login?${query}`
}

/** Whether a request comes from the WeCom client's built-in browser, where OAuth works silently. */
export function isWecomClient(userAgent: string): boolean {
  return /wxwork/i.test(userAgent)
}
