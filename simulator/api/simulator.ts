import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Koa from 'koa'
import { normaliseBasePath, pathUnderBase } from '../basePath'
import { answerPage } from '../html'
import { dispatchApiCall, type ApiCall, type ApiDispatcherDeps } from './apiRoutes'
import { buildCallback, CallbackNotDelivered, postCallback, type BuildCallbackOptions, type BuiltCallback, type CallbackResponse } from './callbacks'
import { contactWayEndpoints, contactWayQrPng, CONTACT_WAY_QR_PREFIX, DEFAULT_CONTACT_WAY_QUOTA } from './contactWayApi'
import { AccessTokens, credentialEndpoints, JsapiTickets } from './credentials'
import { customerEndpoints } from './customerApi'
import { directoryEndpoints } from './directoryApi'
import { Faults, type FaultRule } from './faults'
import { mediaEndpoints } from './mediaApi'
import { messageEndpoints, type AppMessageRecord, type RobotMessageRecord } from './messageApi'
import { firstValues, OauthServer } from './oauth'
import { restoreSnapshot, takeSnapshot, type SimulatorSnapshot } from './snapshot'
import { SimCompany, seedCompany, type SeedCompany, type SimContactWay } from './state'
import { tagEndpoints } from './tagApi'
import { welcomeEndpoints, type WelcomeMessageRecord } from './welcomeApi'
import {
  WecomSideChanges,
  type CustomerAddsMember,
  type CustomerScansContactWay,
  type FollowRef,
  type MemberChange,
  type MemberEditsCustomer,
  type NewMember,
} from './wecomChanges'

export interface SimulatorOptions {
  corpId: string
  agentId: number
  secret: string
  token: string
  /** The 43-character EncodingAESKey. */
  aesKey: string
  /** Where emitted callbacks are POSTed; settable later via `simulator.callbackUrl`. */
  callbackUrl?: string
  /** e.g. '/wecom-sim' when mounted in another app; '' standalone (default). */
  basePath?: string
  /** Valid group-robot webhook keys. */
  robotKeys?: string[]
  /** Page size of follow_user in externalcontact/get (WeCom: 500). */
  followUserPageSize?: number
  /** API-created 「联系我」 ways the corp may hold before add_contact_way answers 41045 (WeCom: 500,000). Read on every add. */
  contactWayQuota?: number
  /**
   * The simulator's URL as browsers reach it, with basePath (e.g. `https://scrm.example/wecom-sim`):
   * the base of the qr_code URLs it hands out. Default: the URL the API call came in on.
   */
  publicUrl?: string
  /** Clock in ms (default Date.now): token, ticket and code expiry, robot rate limit, timestamps. */
  now?: () => number
}

export interface ListeningSimulator {
  /** The base URL: use it as WECOM_API_BASE, WECOM_OAUTH_BASE and WECOM_LOGIN_BASE. */
  url: string
  close(): Promise<void>
}

/** An in-memory WeCom speaking WeCom's shapes and error codes over real HTTP. */
export interface Simulator {
  readonly options: SimulatorOptions
  callbackUrl: string | undefined
  /** `options.basePath`, normalised: '' or '/prefix'. */
  readonly basePath: string
  /** Serves WeCom's API and OAuth under basePath; calls next() for every other path (a console may serve those). */
  middleware(): Koa.Middleware
  /** Serves standalone on 127.0.0.1 (port 0: any free one); `more` middleware (a console) runs after the simulator's own. */
  listen(port?: number, more?: Koa.Middleware[]): Promise<ListeningSimulator>
  /** The mutable in-memory state, for tests to inspect. */
  readonly company: SimCompany
  /** The current JS-SDK tickets (corp: get_jsapi_ticket, agent: ticket/get?type=agent_config). */
  readonly tickets: { readonly corp: string; readonly agent: string }
  /** Replaces the state with departments, users, tag groups/tags, customers and follow relations. */
  seed(company: SeedCompany): void
  /** The lasting state (company and messages received) as JSON-safe data, to keep across restarts. */
  snapshot(): SimulatorSnapshot
  /** Replaces the state with a snapshot's. */
  restore(snapshot: SimulatorSnapshot): void
  /**
   * Called after anything that may have changed the lasting state: a seed or restore, a
   * WeCom-side change (the console's forms make theirs through these methods), an API POST.
   * Changes made directly on `company` do not call it.
   */
  onChange: (() => void) | undefined
  /** Who "is logged in to the WeCom client" for /connect/oauth2/authorize and /wwlogin/sso/login. */
  setOauthUser(userid: string | null): void
  /** Who the authorize step would log in as for this request's browser (its cookie, else setOauthUser's). */
  oauthUserFor(ctx: Koa.Context): string | null

  // WeCom-side changes: each changes the state and delivers the matching encrypted callback
  // to callbackUrl; resolves to the HTTP status our server answered. Adds carry a fresh
  // WelcomeCode (20 s, once) unless the relation existed, the member has an admin welcome
  // (SimUser.adminWelcome) or the customer is another company's WeCom user (type 2).
  customerAddsMember(p: CustomerAddsMember): Promise<number>
  /** The customer scans a 「联系我」 code: add_half_external_contact (skip_verify) or add_external_contact, with its State. */
  customerScansContactWay(p: CustomerScansContactWay): Promise<number>
  memberEditsCustomer(p: MemberEditsCustomer): Promise<number>
  memberDeletesCustomer(p: FollowRef): Promise<number>
  customerDeletesMember(p: FollowRef): Promise<number>
  /** The customer agrees to a chat-archive member's notice (SimUser.msgAudit): msg_audit_approved with a fresh WelcomeCode. */
  customerApprovesMsgAudit(p: FollowRef): Promise<number>
  adminCreatesTag(p: { groupName: string; tagName: string }): Promise<number>
  adminRenamesTag(p: { tagId: string; name: string }): Promise<number>
  adminDeletesTag(p: { tagId: string }): Promise<number>
  adminUpdatesMember(p: MemberChange): Promise<number>
  adminCreatesMember(p: NewMember): Promise<number>
  adminDeletesMember(p: { userid: string }): Promise<number>

  /** Encrypts (receiveid = corpId), signs and wraps a plaintext event. */
  buildCallback(plaintextXml: string, options?: BuildCallbackOptions): BuiltCallback
  /** buildCallback, then POST (text/xml) to `url` or callbackUrl with a 5 s timeout; throws CallbackNotDelivered. */
  sendCallback(plaintextXml: string, url?: string): Promise<CallbackResponse>

  /** Every API request received (path without basePath). */
  readonly calls: ApiCall[]
  readonly appMessages: AppMessageRecord[]
  readonly robotMessages: RobotMessageRecord[]
  /** Welcomes accepted by send_welcome_msg, oldest first. */
  readonly welcomeMessages: WelcomeMessageRecord[]
  /** The corp's API-created 「联系我」 ways by config_id (the same map as `company.contactWays`). */
  readonly contactWays: ReadonlyMap<string, SimContactWay>
  /**
   * A way deleted on the WeCom side behind our server's back (another app holding the secret
   * deleted it): no callback, as for any API action. False when there was no such way.
   */
  removeContactWay(configId: string): boolean

  /** Applied before normal handling: latency, then an injected `{errcode, errmsg}` answer. */
  injectFault(rule: FaultRule): void
  clearFaults(): void
  /** Added to every API answer. */
  setLatency(ms: number): void
  /** Tokens issued so far answer 42001 from now on. */
  expireAccessTokens(): void
  /** Tokens issued so far answer 40014 from now on. */
  revokeAccessTokens(): void
}

const OAUTH_AUTHORIZE_PATH = '/connect/oauth2/authorize'
const WEB_LOGIN_PATH = '/wwlogin/sso/login'
const DEFAULT_FOLLOW_USER_PAGE_SIZE = 500

export function createSimulator(options: SimulatorOptions): Simulator {
  return new WecomSimulator(options)
}

class WecomSimulator implements Simulator {
  readonly company = new SimCompany()
  readonly calls: ApiCall[] = []
  readonly appMessages: AppMessageRecord[] = []
  readonly robotMessages: RobotMessageRecord[] = []
  readonly welcomeMessages: WelcomeMessageRecord[] = []
  callbackUrl: string | undefined
  onChange: (() => void) | undefined

  readonly basePath: string
  private readonly now: () => number
  private readonly tokens: AccessTokens
  private readonly jsapiTickets: JsapiTickets
  private readonly oauth: OauthServer
  private readonly faults = new Faults()
  private readonly changes: WecomSideChanges
  private readonly dispatcher: ApiDispatcherDeps

  constructor(readonly options: SimulatorOptions) {
    if (!/^[A-Za-z0-9]{43}$/.test(options.aesKey)) throw new Error('SimulatorOptions.aesKey must be 43 letters or digits')
    this.basePath = normaliseBasePath(options.basePath ?? '')
    this.callbackUrl = options.callbackUrl
    this.now = () => (options.now ?? Date.now)()
    this.tokens = new AccessTokens(this.now)
    this.jsapiTickets = new JsapiTickets(this.now)
    this.oauth = new OauthServer(options, this.company, this.now)
    this.changes = new WecomSideChanges({
      company: this.company,
      corpId: options.corpId,
      now: this.now,
      deliver: async (xml) => (await this.sendCallback(xml)).status,
    })
    this.dispatcher = {
      endpoints: {
        ...credentialEndpoints(options, this.tokens, this.jsapiTickets),
        ...this.oauth.endpoints(),
        ...directoryEndpoints(this.company),
        ...customerEndpoints(this.company, { followUserPageSize: options.followUserPageSize ?? DEFAULT_FOLLOW_USER_PAGE_SIZE }),
        ...tagEndpoints(this.company, () => Math.floor(this.now() / 1000)),
        ...contactWayEndpoints(this.company, { quota: () => options.contactWayQuota ?? DEFAULT_CONTACT_WAY_QUOTA, now: this.now }),
        ...mediaEndpoints(this.company, this.now),
        ...welcomeEndpoints({ company: this.company, now: this.now, welcomeMessages: this.welcomeMessages }),
        ...messageEndpoints({
          company: this.company,
          agentId: options.agentId,
          robotKeys: () => options.robotKeys ?? [],
          now: this.now,
          appMessages: this.appMessages,
          robotMessages: this.robotMessages,
        }),
      },
      tokens: this.tokens,
      faults: this.faults,
      calls: this.calls,
      now: this.now,
      baseUrl: (ctx) => this.baseUrlFor(ctx),
    }
  }

  get contactWays(): ReadonlyMap<string, SimContactWay> {
    return this.company.contactWays
  }

  removeContactWay(configId: string): boolean {
    const removed = this.company.contactWays.delete(configId)
    this.changed()
    return removed
  }

  /** publicUrl, else the URL this request reached us on. */
  private baseUrlFor(ctx: Koa.Context): string {
    return this.options.publicUrl?.replace(/\/+$/, '') ?? `${ctx.protocol}://${ctx.host}${this.basePath}`
  }

  get tickets(): { corp: string; agent: string } {
    return { corp: this.jsapiTickets.get('corp').ticket, agent: this.jsapiTickets.get('agent').ticket }
  }

  middleware(): Koa.Middleware {
    const { basePath, oauth, dispatcher, calls, now, company } = this
    const ownUrl = (ctx: Koa.Context) => `${ctx.protocol}://${ctx.host}${basePath}`
    const changed = () => this.changed()
    // The pages a browser is sent to, beside the API under /cgi-bin.
    const browserPages = new Map<string, (ctx: Koa.Context) => void>([
      [OAUTH_AUTHORIZE_PATH, (ctx) => oauth.authorize(ctx)],
      [WEB_LOGIN_PATH, (ctx) => oauth.webLogin(ctx)],
    ])
    return async function wecomSimulator(ctx, next) {
      const path = pathUnderBase(ctx.path, basePath)
      if (path === undefined) return next()
      const page = ctx.method === 'GET' ? browserPages.get(path) : undefined
      if (page) {
        calls.push({ method: ctx.method, path, query: firstValues(ctx.query), body: undefined, at: now() })
        return page(ctx)
      }
      if (ctx.method === 'GET' && path.startsWith(CONTACT_WAY_QR_PREFIX) && path.endsWith('.png')) {
        calls.push({ method: ctx.method, path, query: firstValues(ctx.query), body: undefined, at: now() })
        // The code encodes the scan page on the host the image was fetched from: the one the viewer can reach.
        const png = await contactWayQrPng(company, path.slice(CONTACT_WAY_QR_PREFIX.length, -'.png'.length), ownUrl(ctx))
        if (!png) return answerPage(ctx, 404, 'No such 「联系我」 QR code: it was deleted, or is a mini-program button (scene 1).')
        ctx.type = 'image/png'
        ctx.set('Cache-Control', 'no-store')
        ctx.body = png
        return
      }
      if (!path.startsWith('/cgi-bin/')) return next()
      // Every write in the subset we speak is a POST (messages, tags).
      try {
        return await dispatchApiCall(ctx, path, dispatcher)
      } finally {
        if (ctx.method === 'POST') changed()
      }
    }
  }

  async listen(port = 0, more: Koa.Middleware[] = []): Promise<ListeningSimulator> {
    const app = new Koa()
    app.use(this.middleware())
    for (const middleware of more) app.use(middleware)
    const server = createServer(app.callback())
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    const { port: boundPort } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${boundPort}${this.basePath}`,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()))
          // Keep-alive sockets from fetch would otherwise hold close() open.
          server.closeAllConnections()
        }),
    }
  }

  seed(company: SeedCompany): void {
    seedCompany(this.company, company, Math.floor(this.now() / 1000))
    this.changed()
  }

  snapshot(): SimulatorSnapshot {
    return takeSnapshot(this)
  }

  restore(snapshot: SimulatorSnapshot): void {
    restoreSnapshot(this, snapshot)
    this.changed()
  }

  setOauthUser(userid: string | null): void {
    this.oauth.loggedInUser = userid
  }

  oauthUserFor(ctx: Koa.Context): string | null {
    return this.oauth.userFor(ctx)
  }

  customerAddsMember(p: CustomerAddsMember): Promise<number> {
    return this.afterChange(() => this.changes.customerAddsMember(p))
  }
  customerScansContactWay(p: CustomerScansContactWay): Promise<number> {
    return this.afterChange(() => this.changes.customerScansContactWay(p))
  }
  memberEditsCustomer(p: MemberEditsCustomer): Promise<number> {
    return this.afterChange(() => this.changes.memberEditsCustomer(p))
  }
  memberDeletesCustomer(p: FollowRef): Promise<number> {
    return this.afterChange(() => this.changes.memberDeletesCustomer(p))
  }
  customerDeletesMember(p: FollowRef): Promise<number> {
    return this.afterChange(() => this.changes.customerDeletesMember(p))
  }
  customerApprovesMsgAudit(p: FollowRef): Promise<number> {
    return this.afterChange(() => this.changes.customerApprovesMsgAudit(p))
  }
  adminCreatesTag(p: { groupName: string; tagName: string }): Promise<number> {
    return this.afterChange(() => this.changes.adminCreatesTag(p))
  }
  adminRenamesTag(p: { tagId: string; name: string }): Promise<number> {
    return this.afterChange(() => this.changes.adminRenamesTag(p))
  }
  adminDeletesTag(p: { tagId: string }): Promise<number> {
    return this.afterChange(() => this.changes.adminDeletesTag(p))
  }
  adminUpdatesMember(p: MemberChange): Promise<number> {
    return this.afterChange(() => this.changes.adminUpdatesMember(p))
  }
  adminCreatesMember(p: NewMember): Promise<number> {
    return this.afterChange(() => this.changes.adminCreatesMember(p))
  }
  adminDeletesMember(p: { userid: string }): Promise<number> {
    return this.afterChange(() => this.changes.adminDeletesMember(p))
  }

  /** The state changes before the callback goes out, so a failed delivery still changed it. */
  private async afterChange(change: () => Promise<number>): Promise<number> {
    try {
      return await change()
    } finally {
      this.changed()
    }
  }

  private changed(): void {
    this.onChange?.()
  }

  buildCallback(plaintextXml: string, options: BuildCallbackOptions = {}): BuiltCallback {
    return buildCallback(this.options, plaintextXml, options, this.now())
  }

  async sendCallback(plaintextXml: string, url?: string): Promise<CallbackResponse> {
    const target = url ?? this.callbackUrl
    if (!target) throw new CallbackNotDelivered('no callback URL: set simulator.callbackUrl or pass one', true)
    const callback = this.buildCallback(plaintextXml)
    try {
      return await postCallback(callback, target)
    } catch (error) {
      throw new CallbackNotDelivered(errorMessage(error), false, { cause: error })
    }
  }

  injectFault(rule: FaultRule): void {
    this.faults.inject(rule)
  }
  clearFaults(): void {
    this.faults.clear()
  }
  setLatency(ms: number): void {
    this.faults.latencyMs = ms
  }
  expireAccessTokens(): void {
    this.tokens.expireAll()
  }
  revokeAccessTokens(): void {
    this.tokens.revokeAll()
  }
}

/** fetch reports "fetch failed" and hides the reason (ECONNREFUSED, timeout) in its cause. */
function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message
}
