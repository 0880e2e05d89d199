import { setTimeout as sleep } from 'node:timers/promises'
import type { Context } from 'koa'
import getRawBody from 'raw-body'
import type { ApiRequest, EndpointTable } from './apiRequest'
import type { AccessTokens } from './credentials'
import { errorBody, refuse, WecomSimError } from './errors'
import type { Faults } from './faults'
import { firstValues } from './oauth'

/** One API request as the simulator received it (path without basePath). */
export interface ApiCall {
  method: string
  path: string
  query: Record<string, string>
  /** The parsed JSON body, the raw text when it was not JSON, undefined for GET. */
  body: unknown
  at: number
}

export interface ApiDispatcherDeps {
  endpoints: EndpointTable
  tokens: AccessTokens
  faults: Faults
  calls: ApiCall[]
  now: () => number
}

const BODY_LIMIT = '1mb'

/** Marks a POST body that is not a JSON object; WeCom answers those with 47001. */
const MALFORMED = Symbol('malformed body')
type ParsedBody = Record<string, unknown> | typeof MALFORMED

/**
 * Answers one call under /cgi-bin: record it, apply injected faults, then check method and
 * token and run the endpoint. Always HTTP 200 with `{errcode, errmsg, ...}`, as WeCom does.
 */
export async function dispatchApiCall(ctx: Context, path: string, deps: ApiDispatcherDeps): Promise<void> {
  const query = firstValues(ctx.query)
  const { parsed, recorded } = await readBody(ctx)
  deps.calls.push({ method: ctx.method, path, query, body: recorded, at: deps.now() })

  const fault = deps.faults.take(path)
  if (fault.hang) {
    // Held until the caller gives up or dies; nothing is handled.
    if (!ctx.req.socket.destroyed) await new Promise((resolve) => ctx.req.socket.once('close', resolve))
    return
  }
  if (fault.latencyMs > 0) await sleep(fault.latencyMs)

  ctx.status = 200
  ctx.type = 'json'
  ctx.body =
    fault.errcode !== undefined
      ? errorBody(new WecomSimError(fault.errcode), ctx.ip, deps.now())
      : answer(deps, path, { method: ctx.method, query, parsed, ip: ctx.ip })
}

interface IncomingCall {
  method: string
  query: Record<string, string>
  parsed: ParsedBody
  ip: string
}

function answer(deps: ApiDispatcherDeps, path: string, call: IncomingCall): Record<string, unknown> {
  try {
    const endpoint = deps.endpoints[path] ?? refuse(48002, `api forbidden: ${path} is not served by the simulator`)
    // WeCom reports a GET sent where POST is required as 40058.
    if (endpoint.method !== call.method) refuse(40058, `${path} requires ${endpoint.method}. invalid Request Parameter`)
    if (endpoint.token) deps.tokens.verify(call.query.access_token)
    if (call.parsed === MALFORMED) refuse(47001)
    const request: ApiRequest = { query: call.query, body: call.parsed, ip: call.ip }
    return { errcode: 0, errmsg: 'ok', ...endpoint.handle(request) }
  } catch (error) {
    if (error instanceof WecomSimError) return errorBody(error, call.ip, deps.now())
    throw error
  }
}

/** The JSON body of a POST; an app in front of us may already have parsed it. */
async function readBody(ctx: Context): Promise<{ parsed: ParsedBody; recorded: unknown }> {
  if (ctx.method !== 'POST') return { parsed: {}, recorded: undefined }
  const preParsed = (ctx.request as { body?: unknown }).body
  if (preParsed !== undefined) return { parsed: asObject(preParsed), recorded: preParsed }
  let text: string
  try {
    text = await getRawBody(ctx.req, { limit: BODY_LIMIT, encoding: 'utf-8' })
  } catch {
    return { parsed: MALFORMED, recorded: undefined }
  }
  if (text.trim() === '') return { parsed: {}, recorded: text }
  try {
    const json: unknown = JSON.parse(text)
    return { parsed: asObject(json), recorded: json }
  } catch {
    return { parsed: MALFORMED, recorded: text }
  }
}

function asObject(value: unknown): ParsedBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : MALFORMED
}
