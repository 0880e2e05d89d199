import { randomBytes, randomInt } from 'node:crypto'
import { encrypt, getSignature } from '@wecom/crypto'

/**
 * Callbacks as WeCom delivers them to a self-built app (wecom-protocol.md §1.3–1.4, §2):
 * the event XML is encrypted with receiveid = CorpID, signed with the Token, wrapped in the
 * `<xml><ToUserName/><AgentID/><Encrypt/></xml>` envelope and POSTed as text/xml.
 */

export interface CallbackSettings {
  corpId: string
  agentId: number
  token: string
  aesKey: string
}

export interface BuildCallbackOptions {
  /** Seconds, as a string (default: now). */
  timestamp?: string
  nonce?: string
  /** The 16 random bytes in front of the plaintext (default: fresh ones). */
  random?: Buffer
}

export interface BuiltCallback {
  query: { msg_signature: string; timestamp: string; nonce: string }
  body: string
}

export interface CallbackResponse {
  status: number
  body: string
}

/**
 * A callback that did not reach our server: no URL set, connection refused, or no answer in
 * time. The change it reports has already been applied, so callers must not say it failed.
 */
export class CallbackNotDelivered extends Error {
  constructor(
    /** Why, in a few words: e.g. `fetch failed (ECONNREFUSED)`. */
    readonly reason: string,
    /** No callbackUrl was set, so nothing was sent at all. */
    readonly missingUrl: boolean,
    options?: ErrorOptions,
  ) {
    super(`Callback not delivered: ${reason}`, options)
    this.name = 'CallbackNotDelivered'
  }
}

/** WeCom drops a delivery that gets no answer within 5 seconds. */
const DELIVERY_TIMEOUT_MS = 5_000

export function buildCallback(
  settings: CallbackSettings,
  plaintextXml: string,
  options: BuildCallbackOptions,
  nowMs: number,
): BuiltCallback {
  const timestamp = options.timestamp ?? String(Math.floor(nowMs / 1000))
  const nonce = options.nonce ?? String(randomInt(1_000_000_000, 9_999_999_999))
  const encrypted = encrypt(settings.aesKey, plaintextXml, settings.corpId, options.random ?? randomBytes(16))
  const signature = getSignature(settings.token, timestamp, nonce, encrypted)
  const body =
    `<xml><ToUserName>${cdata(settings.corpId)}</ToUserName>` +
    `<AgentID>${cdata(String(settings.agentId))}</AgentID>` +
    `<Encrypt>${cdata(encrypted)}</Encrypt></xml>`
  return { query: { msg_signature: signature, timestamp, nonce }, body }
}

/** POSTs a built callback to `url` (its own query is kept) and reads the answer. */
export async function postCallback(callback: BuiltCallback, url: string): Promise<CallbackResponse> {
  const target = new URL(url)
  for (const [name, value] of Object.entries(callback.query)) target.searchParams.set(name, value)
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml' },
    body: callback.body,
    signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
  })
  return { status: response.status, body: await response.text() }
}

/**
 * One element of an event: strings are CDATA-wrapped and numbers bare, as in WeCom's samples;
 * `bare` forces a string bare (change_contact's `<ChangeType>create_user</ChangeType>`).
 */
export type EventField = readonly [name: string, value: string | number, form?: 'bare']

export interface EventHeader {
  corpId: string
  /** Seconds. */
  createTime: number
  event: string
}

/** The decrypted event XML: common header (FromUserName sys, MsgType event), then the fields in order. */
export function eventXml(header: EventHeader, fields: readonly EventField[]): string {
  const elements: EventField[] = [
    ['ToUserName', header.corpId],
    ['FromUserName', 'sys'],
    ['CreateTime', header.createTime],
    ['MsgType', 'event'],
    ['Event', header.event],
    ...fields,
  ]
  return `<xml>${elements.map(renderField).join('')}</xml>`
}

function renderField([name, value, form]: EventField): string {
  const text = typeof value === 'number' || form === 'bare' ? escapeText(String(value)) : cdata(value)
  return `<${name}>${text}</${name}>`
}

/** CDATA cannot contain `]]>`: split it across two sections. */
function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`
}

function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}
