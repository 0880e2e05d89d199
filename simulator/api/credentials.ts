import { randomBytes } from 'node:crypto'
import type { ApiRequest, EndpointTable } from './apiRequest'
import { refuse } from './errors'

/** Lifetime of access tokens and JS-SDK tickets, in seconds (WeCom: 7200). */
export const CREDENTIAL_TTL_S = 7200

type TokenStatus = 'valid' | 'expired' | 'revoked'

interface IssuedToken {
  issuedAt: number
  status: TokenStatus
}

/** Access tokens: issued by gettoken, checked on every other call, expired or revoked on demand. */
export class AccessTokens {
  private readonly issued = new Map<string, IssuedToken>()
  private current: string | undefined

  constructor(private readonly now: () => number) {}

  /** The current token while it lasts (the older WeCom doc promises that), else a fresh one. */
  issue(): { token: string; expiresIn: number } {
    const current = this.current === undefined ? undefined : this.issued.get(this.current)
    if (this.current !== undefined && current && this.statusOf(current) === 'valid') {
      return { token: this.current, expiresIn: this.secondsLeft(current) }
    }
    const token = randomBytes(96).toString('base64url')
    this.issued.set(token, { issuedAt: this.now(), status: 'valid' })
    this.current = token
    return { token, expiresIn: CREDENTIAL_TTL_S }
  }

  /** Refuses the call unless `token` is one we issued and it still holds. */
  verify(token: string | undefined): void {
    if (!token) refuse(41001)
    const issued = this.issued.get(token)
    if (!issued) refuse(40014)
    const status = this.statusOf(issued)
    if (status === 'revoked') refuse(40014)
    if (status === 'expired') refuse(42001)
  }

  expireAll(): void {
    this.mark('expired')
  }

  revokeAll(): void {
    this.mark('revoked')
  }

  private mark(status: TokenStatus): void {
    for (const issued of this.issued.values()) if (issued.status === 'valid') issued.status = status
    this.current = undefined
  }

  private statusOf(issued: IssuedToken): TokenStatus {
    if (issued.status === 'valid' && this.secondsLeft(issued) <= 0) return 'expired'
    return issued.status
  }

  private secondsLeft(issued: IssuedToken): number {
    return Math.ceil((issued.issuedAt + CREDENTIAL_TTL_S * 1000 - this.now()) / 1000)
  }
}

export type TicketKind = 'corp' | 'agent'

/** The two JS-SDK tickets: corp (get_jsapi_ticket, for config) and agent (ticket/get, for agentConfig). */
export class JsapiTickets {
  private readonly current = new Map<TicketKind, { ticket: string; issuedAt: number }>()

  constructor(private readonly now: () => number) {}

  /** The ticket in force, renewed once its 7200 s have passed. */
  get(kind: TicketKind): { ticket: string; expiresIn: number } {
    let entry = this.current.get(kind)
    const age = entry ? this.now() - entry.issuedAt : Infinity
    if (!entry || age >= CREDENTIAL_TTL_S * 1000) {
      // Real tickets are opaque base64-ish strings; the kind in front only helps people reading logs.
      entry = { ticket: `${kind}-${randomBytes(48).toString('base64url')}`, issuedAt: this.now() }
      this.current.set(kind, entry)
    }
    return { ticket: entry.ticket, expiresIn: Math.ceil((entry.issuedAt + CREDENTIAL_TTL_S * 1000 - this.now()) / 1000) }
  }
}

export interface CredentialSettings {
  corpId: string
  secret: string
}

/** gettoken and the two ticket endpoints. */
export function credentialEndpoints(settings: CredentialSettings, tokens: AccessTokens, tickets: JsapiTickets): EndpointTable {
  return {
    '/cgi-bin/gettoken': {
      method: 'GET',
      token: false,
      handle({ query }: ApiRequest) {
        if (!query.corpid) refuse(41002)
        if (!query.corpsecret) refuse(41004)
        if (query.corpid !== settings.corpId) refuse(40013)
        if (query.corpsecret !== settings.secret) refuse(40001)
        const { token, expiresIn } = tokens.issue()
        return { access_token: token, expires_in: expiresIn }
      },
    },
    '/cgi-bin/get_jsapi_ticket': {
      method: 'GET',
      token: true,
      handle() {
        const { ticket, expiresIn } = tickets.get('corp')
        return { ticket, expires_in: expiresIn }
      },
    },
    '/cgi-bin/ticket/get': {
      method: 'GET',
      token: true,
      handle({ query }: ApiRequest) {
        if (query.type !== 'agent_config') refuse(40058, `type ${query.type ?? ''} is invalid. invalid Request Parameter`)
        const { ticket, expiresIn } = tickets.get('agent')
        return { ticket, expires_in: expiresIn }
      },
    },
  }
}
