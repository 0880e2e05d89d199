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
