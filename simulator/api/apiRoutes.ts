import { setTimeout as sleep } from 'node:timers/promises'
import type { Context } from 'koa'
import getRawBody from 'raw-body'
import type { ApiRequest, Endpoint, EndpointTable } from './apiRequest'
import type { AccessTokens } from './credentials'
import { errorBody, refuse, WecomSimError } from './errors'
import type { Faults } from './faults'
import { multipartBoundary, parseMultipart, type FormPart } from './multipart'
import { firstValues } from './oauth'

/** One API request as the simulator received it (path without basePath). */
export interface ApiCall {
  method: string
  path: string
  query: Record<string, string>
  /** The parsed JSON body, the raw text when it was not JSON, undefined for GET; for an upload, its parts without their bytes. */
  body: unknown
  at: number
}

export interface ApiDispatcherDeps {
  endpoints: EndpointTable
  tokens: AccessTokens
  faults: Faults
  calls: ApiCall[]
  now: () => number
  /** The simulator's URL for this request, handed to endpoints as ApiRequest.baseUrl. */
  baseUrl: (ctx: Context) => string
}

const BODY_LIMIT = '1mb'
/** The largest upload WeCom takes is a 20 MB file; room for the multipart framing on top. */
const MULTIPART_BODY_LIMIT = 20 * 1024 * 1024 + 64 * 1024

/** Marks a POST body that is not a JSON object (or not framed multipart); WeCom answers those with 47001. */
const MALFORMED = Symbol('malformed body')
/** Marks an upload beyond any media size WeCom takes. */
const OVERSIZED = Symbol('oversized body')
type ParsedBody = Record<string, unknown> | typeof MALFORMED | typeof OVERSIZED

interface ReadBody {
  parsed: ParsedBody
  files: Record<string, FormPart>
  /** What `calls` shows: the JSON, the raw text, or for multipart each part's name, file name, type and size. */
  recorded: unknown
}

/**
 * Answers one call under /cgi-bin: record it, apply injected faults, then check method and
 * token and run the endpoint. Always HTTP 200 with `{errcode, errmsg, ...}`, as WeCom does.
 */
export async function dispatchApiCall(ctx: Context, path: string, deps: ApiDispatcherDeps): Promise<void> {
  const query = firstValues(ctx.query)
  const endpoint = Object.hasOwn(deps.endpoints, path) ? deps.endpoints[path] : undefined
  const { parsed, files, recorded } = endpoint?.body === 'multipart' ? await readMultipartBody(ctx) : await readJsonBody(ctx)
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
      : answer(deps, path, endpoint, { method: ctx.method, query, parsed, files, ip: ctx.ip, baseUrl: deps.baseUrl(ctx) })
}

interface IncomingCall {
  method: string
  query: Record<string, string>
  parsed: ParsedBody
  files: Record<string, FormPart>
  ip: string
  baseUrl: string
}

function answer(deps: ApiDispatcherDeps, path: string, endpoint: Endpoint | undefined, call: IncomingCall): Record<string, unknown> {
  try {
    if (!endpoint) refuse(48002, `api forbidden: ${path} is not served by the simulator`)
    // WeCom reports a GET sent where POST is required as 40058.
    if (endpoint.method !== call.method) refuse(40058, `${path} requires ${endpoint.method}. invalid Request Parameter`)
    if (endpoint.token) deps.tokens.verify(call.query.access_token)
    if (call.parsed === MALFORMED) refuse(47001)
    if (call.parsed === OVERSIZED) refuse(40006, `file size exceeds ${MULTIPART_BODY_LIMIT} bytes. invalid file size`)
    const request: ApiRequest = { query: call.query, body: call.parsed, files: call.files, ip: call.ip, baseUrl: call.baseUrl }
    return { errcode: 0, errmsg: 'ok', ...endpoint.handle(request) }
  } catch (error) {
    if (error instanceof WecomSimError) return errorBody(error, call.ip, deps.now())
    throw error
  }
}

/** The JSON body of a POST; an app in front of us may already have parsed it. */
async function readJsonBody(ctx: Context): Promise<ReadBody> {
  if (ctx.method !== 'POST') return { parsed: {}, files: {}, recorded: undefined }
  const preParsed = (ctx.request as { body?: unknown }).body
  if (preParsed !== undefined) return { parsed: asObject(preParsed), files: {}, recorded: preParsed }
  let text: string
  try {
    text = await getRawBody(ctx.req, { limit: BODY_LIMIT, encoding: 'utf-8' })
  } catch {
    return { parsed: MALFORMED, files: {}, recorded: undefined }
  }
  if (text.trim() === '') return { parsed: {}, files: {}, recorded: text }
  try {
    const json: unknown = JSON.parse(text)
    return { parsed: asObject(json), files: {}, recorded: json }
  } catch {
    return { parsed: MALFORMED, files: {}, recorded: text }
  }
}

/**
 * A multipart/form-data POST: text parts become the body's fields, file parts `files`. Another
 * content type leaves both empty (the endpoint then finds no file, as WeCom would).
 */
async function readMultipartBody(ctx: Context): Promise<ReadBody> {
  const boundary = multipartBoundary(ctx.get('Content-Type'))
  if (ctx.method !== 'POST' || boundary === undefined) return { parsed: {}, files: {}, recorded: undefined }
  let raw: Buffer
  try {
    raw = await getRawBody(ctx.req, { limit: MULTIPART_BODY_LIMIT })
  } catch (error) {
    const tooLarge = (error as { type?: unknown }).type === 'entity.too.large'
    // The rest of the body is never read: the connection cannot carry another request.
    ctx.set('Connection', 'close')
    return { parsed: tooLarge ? OVERSIZED : MALFORMED, files: {}, recorded: undefined }
  }
  const parts = parseMultipart(raw, boundary)
  if (!parts) return { parsed: MALFORMED, files: {}, recorded: undefined }
  const fields: Record<string, unknown> = {}
  const files: Record<string, FormPart> = {}
  for (const part of parts) {
    if (part.filename === undefined) fields[part.name] ??= part.data.toString('utf8')
    else files[part.name] ??= part
  }
  const recorded = parts.map(({ name, filename, contentType, data }) => ({ name, filename, contentType, bytes: data.length }))
  return { parsed: fields, files, recorded }
}

function asObject(value: unknown): ParsedBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : MALFORMED
}
