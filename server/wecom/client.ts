import axios, { type AxiosInstance } from 'axios'
import type { DataSource } from 'typeorm'
import type { WecomConfig } from '../../config'
import type { Logger } from '../logger'
import { endpoints, TransportCode, WecomCode, type EndpointName, type Endpoints } from './apiTypes'
import { CredentialStore, type CredentialKind } from './credentials'
import { WecomApiError } from './errors'

export interface WecomClientOptions {
  /** Per-call timeout; WeCom answers in well under a second when healthy. */
  timeoutMs?: number
  /** Tries for rate-limit and busy answers (45009, 45033, -1), the first included. */
  rateLimitTries?: number
  /** First back-off delay; it doubles each time, with jitter. */
  backoffBaseMs?: number
  logger?: Logger
}

type Params<K extends EndpointName> = Pick<Endpoints[K], 'query' | 'body'> extends { query: infer Q; body: infer B }
  ? ([B] extends [never] ? { query: Q } : { query?: Q; body: B })
  : never

/** Codes that mean "this token is no good": refresh once and retry. */
const TOKEN_REJECTED: readonly number[] = [WecomCode.invalidAccessToken, WecomCode.accessTokenExpired, WecomCode.invalidSecret]
/** Codes that mean "slow down": back off with jitter, a bounded number of times. */
const SLOW_DOWN: readonly number[] = [WecomCode.rateLimited, WecomCode.concurrencyLimited, WecomCode.systemBusy]

/**
 * The one way to call WeCom: adds the shared access token, decides success by `errcode`
 * alone, refreshes a rejected token once, and backs off on rate limits.
 */
export class WecomClient {
  readonly credentials: CredentialStore
  private readonly http: AxiosInstance
  private readonly rateLimitTries: number
  private readonly backoffBaseMs: number

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
    this.rateLimitTries = options.rateLimitTries ?? 4
    this.backoffBaseMs = options.backoffBaseMs ?? 500
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

  async call<K extends EndpointName>(name: K, params: Params<K>): Promise<Endpoints[K]['response']> {
    const endpoint = endpoints[name]
    const { query, body } = params as { query?: Record<string, string>; body?: unknown }
    let tokenRefreshed = false
    for (let attempt = 1; ; attempt++) {
      const token = endpoint.token ? await this.credentials.get('access_token') : undefined
      const answer = await this.send(endpoint.method, endpoint.path, { ...query, ...(token ? { access_token: token } : {}) }, body)
      const code = typeof answer.errcode === 'number' ? answer.errcode : WecomCode.ok
      if (code === WecomCode.ok) return answer as Endpoints[K]['response']

      if (token && TOKEN_REJECTED.includes(code) && !tokenRefreshed) {
        tokenRefreshed = true
        await this.credentials.invalidate('access_token', token)
        continue
      }
      if (SLOW_DOWN.includes(code) && attempt < this.rateLimitTries) {
        const delay = this.backoffBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random())
        this.options.logger?.warn({ path: endpoint.path, code, delayMs: Math.round(delay) }, 'WeCom asks us to slow down')
        await new Promise((resolve) => setTimeout(resolve, delay))
        continue
      }
      throw new WecomApiError(code, endpoint.path, String(answer.errmsg ?? ''))
    }
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    body: unknown,
  ): Promise<{ errcode?: unknown; errmsg?: unknown } & Record<string, unknown>> {
    try {
      const response = await this.http.request({ method, url: path, params: query, data: method === 'POST' ? body : undefined })
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
        timedOut ? `no answer within ${this.http.defaults.timeout} ms` : (error as Error).message,
      )
    }
  }
}
