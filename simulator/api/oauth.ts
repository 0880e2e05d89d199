import { randomBytes } from 'node:crypto'
import type { Context } from 'koa'
import type { ApiRequest, EndpointTable } from './apiRequest'
import { refuse } from './errors'
import { answerPage } from '../html'
import type { SimCompany } from './state'
import { MEMBER_PICKED_PARAM, webLoginPickerPage } from './webLoginPage'

/** OAuth codes are single-use and valid for 5 minutes (wecom-protocol.md §3.3). */
const CODE_TTL_MS = 5 * 60 * 1000
const SCOPES = new Set(['snsapi_base', 'snsapi_privateinfo'])
/** The demo page sets this cookie to say who is "logged in to the WeCom client" in this browser. */
export const OAUTH_USER_COOKIE = 'wecom_sim_user'

interface IssuedCode {
  userid: string
  scope: string
  issuedAt: number
}

export interface OauthSettings {
  corpId: string
  agentId: number
}

/** Where a sign-in sends the browser back to, and what it logs in with. */
interface SignInReturn {
  redirectUri: string
  state: string
  scope: string
}

/** The OAuth2 authorize page, the web login page, and the code exchange (auth/getuserinfo) they share. */
export class OauthServer {
  /** Who is logged in to the simulated WeCom client, unless the browser's cookie says otherwise. */
  loggedInUser: string | null = null
  private readonly codes = new Map<string, IssuedCode>()

  constructor(
    private readonly settings: OauthSettings,
    private readonly company: SimCompany,
    private readonly now: () => number,
  ) {}

  /** GET /connect/oauth2/authorize: validates like WeCom, then 302 to redirect_uri with code and state. */
  authorize(ctx: Context): void {
    const query = firstValues(ctx.query)
    const problem = this.validateAuthorize(query)
    if (problem) return answerPage(ctx, 400, problem)

    const userid = this.userFor(ctx)
    if (!userid) {
      return answerPage(ctx, 400, 'No one is logged in to the simulated WeCom client: call setOauthUser() or pick a member on the demo page.')
    }
    this.signIn(ctx, userid, { redirectUri: query.redirect_uri ?? '', state: query.state ?? '', scope: query.scope ?? 'snsapi_base' })
  }

  /**
   * GET /wwlogin/sso/login (wecom-protocol.md §3.16): validates like WeCom; the member logged in
   * to the simulated client signs in at once, as its quick login does, and anyone else picks a
   * member on the page, as a QR scan would name one. Then 302 to redirect_uri with code and state.
   */
  webLogin(ctx: Context): void {
    const query = firstValues(ctx.query)
    const problem = this.validateWebLogin(query)
    if (problem) return answerPage(ctx, 400, problem)

    const userid = query[MEMBER_PICKED_PARAM] || this.userFor(ctx)
    if (!userid) return webLoginPickerPage(ctx, query, [...this.company.users.values()])
    // Web login grants no user_ticket: its code is as plain as snsapi_base's.
    this.signIn(ctx, userid, { redirectUri: query.redirect_uri ?? '', state: query.state ?? '', scope: 'snsapi_base' })
  }

  endpoints(): EndpointTable {
    return {
      '/cgi-bin/auth/getuserinfo': {
        method: 'GET',
        token: true,
        handle: ({ query }: ApiRequest) => {
          if (!query.code) refuse(41008)
          const { userid, scope } = this.redeem(query.code)
          // user_ticket only comes with snsapi_privateinfo; we never need its contents.
          return scope === 'snsapi_privateinfo' ? { userid, user_ticket: randomBytes(32).toString('hex'), expires_in: 1800 } : { userid }
        },
      },
    }
  }

  private redeem(code: string): IssuedCode {
    const issued = this.codes.get(code)
    // Single use: a code is gone after its first exchange, whether it was still fresh or not.
    this.codes.delete(code)
    if (!issued || this.now() - issued.issuedAt > CODE_TTL_MS) refuse(40029)
    return issued
  }

  /** Issues a single-use code for a member and sends the browser back with it. */
  private signIn(ctx: Context, userid: string, { redirectUri, state, scope }: SignInReturn): void {
    if (!this.company.users.has(userid)) return answerPage(ctx, 400, `${userid} is not a member of this company.`)
    const code = randomBytes(32).toString('hex')
    this.codes.set(code, { userid, scope, issuedAt: this.now() })
    const target = new URL(redirectUri)
    target.searchParams.set('code', code)
    target.searchParams.set('state', state)
    ctx.redirect(target.toString())
  }

  private validateAuthorize(query: Record<string, string>): string | undefined {
    if (query.appid !== this.settings.corpId) return `appid ${query.appid ?? '(missing)'} is not this company's CorpID.`
    if (query.response_type !== 'code') return 'response_type must be code.'
    if (!query.scope || !SCOPES.has(query.scope)) return 'scope must be snsapi_base or snsapi_privateinfo.'
    if (query.scope === 'snsapi_privateinfo' && query.agentid !== String(this.settings.agentId)) {
      return 'snsapi_privateinfo needs this app\'s agentid.'
    }
    return validateReturn(query)
  }

  private validateWebLogin(query: Record<string, string>): string | undefined {
    // ServiceApp is for third-party suites, which the simulator does not serve.
    if (query.login_type !== 'CorpApp') return 'login_type must be CorpApp for a self-built app.'
    if (query.appid !== this.settings.corpId) return `appid ${query.appid ?? '(missing)'} is not this company's CorpID.`
    if (query.agentid !== String(this.settings.agentId)) return `agentid ${query.agentid || '(missing)'} is not this app's AgentID (CorpApp needs it).`
    return validateReturn(query)
  }

  /** Who the authorize step logs in as: the member named by the demo page's cookie, else loggedInUser. */
  userFor(ctx: Context): string | null {
    const cookie = ctx.cookies.get(OAUTH_USER_COOKIE)
    if (cookie) return safeDecode(cookie)
    return this.loggedInUser
  }
}

/** The checks both sign-in pages make of where they send the browser back. */
function validateReturn(query: Record<string, string>): string | undefined {
  if (query.state !== undefined && !/^[a-zA-Z0-9]{0,128}$/.test(query.state)) return 'state must be at most 128 letters or digits.'
  if (!query.redirect_uri || !URL.canParse(query.redirect_uri)) return 'redirect_uri must be an absolute URL.'
  return undefined
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Koa's query with one value per name (the first, as WeCom reads it). */
export function firstValues(query: Context['query']): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [name, value] of Object.entries(query)) {
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) values[name] = first
  }
  return values
}
