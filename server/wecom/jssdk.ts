import { randomBytes } from 'node:crypto'
import { getJsApiSignature } from '@wecom/crypto'

export interface JsSdkSignature {
  timestamp: string
  nonceStr: string
  signature: string
}

/**
 * Signs a page URL for `ww.register` (wecom-protocol.md §4.2): sha1 over the ticket, a
 * nonce, the time and the URL without its #fragment. The ticket itself never leaves us.
 */
export function signPageUrl(url: string, ticket: string, now = Date.now()): JsSdkSignature {
  const signed = getJsApiSignature({
    url: url.split('#')[0]!,
    ticket,
    nonceStr: randomBytes(12).toString('base64url'),
    timestamp: Math.floor(now / 1000),
  })
  return { timestamp: String(signed.timestamp), nonceStr: signed.nonceStr, signature: signed.signature }
}
