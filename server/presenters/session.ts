import type { SessionInfo, Signature } from '../api/contract'

/**
 * A session as the sidebar (and the console) receive it: who is signed in, the CSRF token its
 * writes carry, the WeCom app the page registers with, and the page's JS-SDK signatures when
 * it sent its URL. Never the session token itself: that stays in its HttpOnly cookie.
 */
export function presentSession(
  member: { userid: string; name: string },
  { csrfToken, isOperator, wecom, signatures }: { csrfToken: string; isOperator: boolean; wecom: { corpId: string; agentId: number }; signatures?: { corp: Signature; agent: Signature } },
): SessionInfo {
  return {
    member: { userid: member.userid, name: member.name, isOperator },
    csrfToken,
    wecom: { corpId: wecom.corpId, agentId: wecom.agentId },
    ...(signatures ? { signatures } : {}),
  }
}

/** One JS-SDK signature (ww.register's signer asked again for a changed URL). */
export const presentSignature = ({ timestamp, nonceStr, signature }: Signature): Signature => ({ timestamp, nonceStr, signature })
