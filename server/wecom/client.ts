import axios, { type AxiosInstance } from 'axios'
import type { DataSource } from 'typeorm'
import type { WecomConfig } from '../../config'
import { systemClock, type Clock } from '../clock'
import type { Logger } from '../logger'
import { endpoints, TransportCode, WecomCode, type EndpointName, type Endpoints } from './apiTypes'
import { CredentialStore, type CredentialKind } from './credentials'
import { WecomApiError } from './errors'

/** A per-minute limit blocks the API for 60 s (wecom-protocol.md §3.0): every caller waits that out. */
export const RATE_LIMIT_BLOCK_MS = 60_000
/**
 * How long a call waits by default for WeCom to let it through (a rate-limit block, a busy
 * back-off): short, because someone is usually looking at a page. A 45009 block is never
 * waited out within it; background work passes a longer `maxWaitMs`.
 */
export const INTERACTIVE_MAX_WAIT_MS = 5_000

export interface WecomClientOptions {
  /** Per-call timeout; WeCom answers in well under a second when healthy. */
  timeoutMs?: number
  /** Tries for busy answers (45033, -1), the first included. */
  busyTries?: number
  /** First back-off delay; it doubles each time, with jitter. */
  backoffBaseMs?: number
  /** The default of every call's `maxWaitMs`: INTERACTIVE_MAX_WAIT_MS unless no one waits on a page (one-shot commands). */
  maxWaitMs?: number
  /** Waits for rate-limit blocks and back-offs on it: tests pass a fake one. */
  clock?: Clock
  logger?: Logger
}

export interface CallOptions {
  /**
   * The longest this call may wait in all, for rate-limit blocks and back-offs, before it
   * gives up with WeCom's code: a wait that would go past it fails at once instead.
   */
  maxWaitMs?: number
  /** This call's HTTP timeout, in place of the client's: a call with a deadline (a welcome) waits no longer than it has. */
  timeoutMs?: number
}

type Params<K extends EndpointName> = Pick<Endpoints[K], 'query' | 'body'> extends { query: infer Q; body: infer B }
  ? ([B] extends [never] ? { query: Q } : { query?: Q; body: B })
  : never

/** Codes that mean "this token is no good": refresh once and retry. */
const TOKEN_REJECTED: readonly number[] = [WecomCode.invalidAccessToken, WecomCode.accessTokenExpired, WecomCode.invalidSecret]
/** Codes that mean "too many at once, or busy": back off with jitter, a bounded number of times. */
const BUSY: readonly number[] = [WecomCode.concurrencyLimited, WecomCode.systemBusy]

/**
 * The one way to call WeCom: adds the shared access token, decides success by `errcode`
 * alone, refreshes a rejected token once, backs off when WeCom is busy, and keeps one
 * rate-limit gate per endpoint: after a 45009 no caller of that endpoint (on this client,
 * the process's one) reaches WeCom again until the block has passed.
 */
export class WecomClient {
  readonly credentials: CredentialStore
  private readonly http: AxiosInstance
  private readonly busyTries: number
  private readonly backoffBaseMs: number
  private readonly defaultMaxWaitMs: number
  private readonly clock: Clock
  /** When each rate-limited endpoint opens again, in `clock` ms. */
  private readonly blockedUntil = new Map<EndpointName, number>()

  constructor(
    readonly config: WecomConfig,
    dataSource: DataSource,
    private readonly options: WecomClientOptions = {},
  ) {
    this.http = axios.create({
      baseURL: config.apiBase,
      timeout: options.timeoutMs ?? 5_000,
      // Every WeCom answer is HTTP 200; anything else is a transport failure we report.
      validateStatus: () => true,
      maxRedirects: 0,
    })
    this.busyTries = options.busyTries ?? 4
    this.backoffBaseMs = options.backoffBaseMs ?? 500
    this.defaultMaxWaitMs = options.maxWaitMs ?? INTERACTIVE_MAX_WAIT_MS
    this.clock = options.clock ?? systemClock
    this.credentials = new CredentialStore(
      dataSource,
      {
        access_token: async () => {
          const answer = await this.call('getToken', { query: { corpid: config.corpId, corpsecret: config.secret } })
          return { value: answer.access_token, expiresIn: answer.expires_in }
        },
        jsapi_ticket: async () => {
          const answer = await this.call('getJsapiTicket', { query: {} })
          return { value: answer.ticket, expiresIn: answer.expires_in }
        },
        agent_ticket: async () => {
          const answer = await this.call('getAgentTicket', { query: { type: 'agent_config' } })
          return { value: answer.ticket, expiresIn: answer.expires_in }
        },
      },
      { scope: `${config.corpId}:${config.agentId}` },
    )
  }

  /** A JS-SDK ticket ('jsapi_ticket' for config, 'agent_ticket' for agentConfig); server-side only. */
  ticket(kind: Exclude<CredentialKind, 'access_token'>): Promise<string> {
    return this.credentials.get(kind)
  }

  /** One call to an endpoint of the table; WeCom's failures, and ours reaching it, throw WecomApiError. */
  async call<K extends EndpointName>(name: K, params: Params<K>, { maxWaitMs = this.defaultMaxWaitMs, timeoutMs }: CallOptions = {}): Promise<Endpoints[K]['response']> {
    const endpoint = endpoints[name]
    const { query, body } = params as { query?: Record<string, string>; body?: unknown }
    const deadline = this.clock.now() + maxWaitMs
    let tokenRefreshed = false
    for (let busyAnswers = 0; ; ) {
      await this.passGate(name, deadline, maxWaitMs)
      const token = endpoint.token ? await this.credentials.get('access_token') : undefined
      const answer = await this.send(endpoint.method, endpoint.path, { ...query, ...(token ? { access_token: token } : {}) }, body, timeoutMs)
      const code = typeof answer.errcode === 'number' ? answer.errcode : WecomCode.ok
      if (code === WecomCode.ok) return answer as Endpoints[K]['response']

      if (token && TOKEN_REJECTED.includes(code) && !tokenRefreshed) {
        tokenRefreshed = true
        await this.credentials.invalidate('access_token', token)
        continue
      }
      if (code === WecomCode.rateLimited) {
        // Calls already in flight may answer 45009 too: the block ends a minute after the last.
        this.blockedUntil.set(name, Math.max(this.blockedUntil.get(name) ?? 0, this.clock.now() + RATE_LIMIT_BLOCK_MS))
        this.options.logger?.warn({ path: endpoint.path, code, blockedForMs: RATE_LIMIT_BLOCK_MS }, 'WeCom rate-limits this API: holding its calls')
        continue
      }
      if (BUSY.includes(code) && ++busyAnswers < this.busyTries) {
        const delay = this.backoffBaseMs * 2 ** (busyAnswers - 1) * (0.5 + Math.random())
        if (this.clock.now() + delay <= deadline) {
          this.options.logger?.warn({ path: endpoint.path, code, delayMs: Math.round(delay) }, 'WeCom asks us to slow down')
          await this.clock.sleep(delay)
          continue
        }
      }
      throw new WecomApiError(code, endpoint.path, String(answer.errmsg ?? ''))
    }
  }

  /**
   * Waits until the endpoint's rate-limit block has passed (another caller's 45009 may
   * extend it meanwhile), or fails at once when it lasts past `deadline`.
   */
  private async passGate(name: EndpointName, deadline: number, maxWaitMs: number): Promise<void> {
    for (;;) {
      const opensAt = this.blockedUntil.get(name)
      if (opensAt === undefined) return
      const now = this.clock.now()
      if (opensAt <= now) {
        this.blockedUntil.delete(name)
        return
      }
      if (opensAt > deadline) {
        const waitS = Math.ceil((opensAt - now) / 1000)
        throw new WecomApiError(WecomCode.rateLimited, endpoints[name].path, `rate limited: WeCom blocks this API for another ${waitS} s, longer than this call may wait (${maxWaitMs} ms)`)
      }
      await this.clock.sleep(opensAt - now)
    }
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    body: unknown,
    timeoutMs?: number,
  ): Promise<{ errcode?: unknown; errmsg?: unknown } & Record<string, unknown>> {
    const timeout = timeoutMs ?? this.http.defaults.timeout
    try {
      const response = await this.http.request({ method, url: path, params: query, data: method === 'POST' ? body : undefined, timeout })
      if (response.status !== 200 || typeof response.data !== 'object' || response.data === null) {
        throw new WecomApiError(TransportCode.badResponse, path, `HTTP ${response.status}, not a WeCom JSON answer`)
      }
      return response.data
    } catch (error) {
      if (error instanceof WecomApiError) throw error
      const timedOut = axios.isAxiosError(error) && (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT')
      throw new WecomApiError(
        timedOut ? TransportCode.timeout : TransportCode.network,
        path,
        timedOut ? `no answer within ${timeout} ms` : (error as Error).message,
      )
    }
  }
}
