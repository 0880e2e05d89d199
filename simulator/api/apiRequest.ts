import { refuse } from './errors'
import type { FormPart } from './multipart'

/** One API call as a handler sees it: the query, the parsed JSON body, the caller's IP. */
export interface ApiRequest {
  query: Record<string, string>
  /** The JSON body; for a multipart endpoint, its text fields. */
  body: Record<string, unknown>
  /** A multipart endpoint's file parts by field name (the first of each name); empty otherwise. */
  files: Record<string, FormPart>
  ip: string
  /** The simulator's own URL (with basePath) as the caller reached it, or its configured publicUrl: for URLs it hands out. */
  baseUrl: string
}

/** The fields of a successful answer; `errcode: 0, errmsg: 'ok'` are added around them. */
export type ApiAnswer = Record<string, unknown>

export interface Endpoint {
  method: 'GET' | 'POST'
  /** Whether the call needs a valid access_token (all but gettoken and webhook/send). */
  token: boolean
  /** How the POST body is read: JSON (default), or multipart/form-data (media/upload). */
  body?: 'json' | 'multipart'
  handle(request: ApiRequest): ApiAnswer
}

/** Endpoints by path under the base, e.g. '/cgi-bin/user/get'. */
export type EndpointTable = Record<string, Endpoint>

/** WeCom answers malformed parameters with 40058 and names the field. */
function invalidParameter(name: string, why: string): never {
  refuse(40058, `${name} ${why}. invalid Request Parameter`)
}

export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') invalidParameter(name, 'must be a string')
  return value
}

export function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    invalidParameter(name, 'must be a list of strings')
  }
  return value as string[]
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') invalidParameter(name, 'must be true or false')
  return value
}

export function integerList(value: unknown, name: string): number[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'number' || !Number.isInteger(item))) {
    invalidParameter(name, 'must be a list of integers')
  }
  return value as number[]
}

export function optionalInteger(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const number = typeof value === 'string' ? Number(value) : value
  if (typeof number !== 'number' || !Number.isInteger(number)) invalidParameter(name, 'must be an integer')
  return number
}

/** A length check that names the field, as WeCom's 40058 messages do. */
export function maxLength(value: string | undefined, limit: number, name: string): void {
  if (value !== undefined && [...value].length > limit) invalidParameter(name, `exceed max length ${limit}`)
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/**
 * Cursors are opaque to clients but simply an offset here: stable as long as the state is.
 * The prefix lets us refuse cursors that were not ours.
 */
const CURSOR_PREFIX = 'simcur:'

export function encodeCursor(offset: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${offset}`).toString('base64url')
}

export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const offset = Number(text.slice(CURSOR_PREFIX.length))
  if (!text.startsWith(CURSOR_PREFIX) || !Number.isSafeInteger(offset) || offset < 0) {
    invalidParameter('cursor', 'is invalid')
  }
  return offset
}

/** One page of `items` from `offset`, and the cursor of the next page ('' after the last). */
export function page<T>(items: readonly T[], offset: number, limit: number): { items: T[]; nextCursor: string } {
  const end = offset + limit
  return { items: items.slice(offset, end), nextCursor: end < items.length ? encodeCursor(end) : '' }
}
