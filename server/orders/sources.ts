import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { EntityManager } from 'typeorm'
import { OrderSource } from '../entities'

/** A source's name: the `:source` of the webhook's URL. */
export const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/
/** A shop platform as orders carry it (SPEC §3.4's platform column): no spaces, 32 characters at most. */
const PLATFORM = /^[^\s\u0000-\u001f\u007f]{1,32}$/u

/** How far a request's timestamp may be from our clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 5 * 60

/** Why managing a source failed, for the command to print. */
export class SourceError extends Error {}

export interface SourceSummary {
  name: string
  platform: string
  createdAt: Date
  rotatedAt: Date | null
  lastOrderAt: Date | null
}

/** 32 random bytes, base64url: 43 characters, safe in a shell, a URL or an env file. */
const newSecret = () => randomBytes(32).toString('base64url')

/** Adds a source; returns its secret, which is shown this once. */
export async function createSource(manager: EntityManager, { name, platform }: { name: string; platform: string }, now = new Date()): Promise<string> {
  if (!SOURCE_NAME.test(name)) throw new SourceError(`"${name}" is not a source name: 1–32 of a-z, 0-9, _ and -, starting with a letter or digit`)
  if (!PLATFORM.test(platform)) throw new SourceError(`"${platform}" is not a platform: 1–32 characters without spaces, as in the orders CSV (e.g. tmall)`)
  const secret = newSecret()
  // The unique name decides, so two commands adding the same name at once cannot both win.
  await manager.createQueryBuilder().insert().into(OrderSource).updateEntity(false).values({ name, platform, secret, createdAt: now, rotatedAt: null, lastOrderAt: null }).orIgnore().execute()
  const stored = await manager.findOneBy(OrderSource, { name })
  if (stored?.secret !== secret) throw new SourceError(`A source named "${name}" already exists; rotate its secret or pick another name`)
  return secret
}

/** Replaces a source's secret at once (the old one stops working); returns the new one. */
export async function rotateSecret(manager: EntityManager, name: string, now = new Date()): Promise<string> {
  const secret = newSecret()
  const { affected } = await manager.update(OrderSource, { name }, { secret, rotatedAt: now })
  if (!affected) throw new SourceError(`No source named "${name}"`)
  return secret
}

/** Removes a source: its requests are refused from now on; its orders stay. */
export async function removeSource(manager: EntityManager, name: string): Promise<void> {
  const { affected } = await manager.delete(OrderSource, { name })
  if (!affected) throw new SourceError(`No source named "${name}"`)
}

/** Every source, without its secret. */
export async function listSources(manager: EntityManager): Promise<SourceSummary[]> {
  const sources = await manager.find(OrderSource, { order: { name: 'ASC' } })
  return sources.map(({ name, platform, createdAt, rotatedAt, lastOrderAt }) => ({ name, platform, createdAt, rotatedAt, lastOrderAt }))
}

/** Notes that a source's request brought orders (the console shows when its last did); in the request's transaction. */
export async function noteOrdersReceived(manager: EntityManager, source: { id: number }, now = new Date()): Promise<void> {
  await manager.update(OrderSource, { id: source.id }, { lastOrderAt: now })
}

/** The source a webhook request names, secret included, or null. */
export async function findSource(manager: EntityManager, name: string): Promise<OrderSource | null> {
  if (!SOURCE_NAME.test(name)) return null
  return manager.findOneBy(OrderSource, { name })
}

/** The signature of a request: hex HMAC-SHA256, keyed with the secret's text, of `timestamp + "." + body`. */
export function signRequest(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')
}

/** Why a request's signature was refused: said to the caller, and safe to say (no secret in it). */
export class SignatureRejected extends Error {}

export interface SignatureHeaders {
  /** X-Scrm-Timestamp: unix seconds. */
  timestamp: string | undefined
  /** X-Scrm-Signature: hex, optionally after `sha256=`. */
  signature: string | undefined
}

/**
 * Checks that the headers sign exactly `body` with the secret, at a time within ±5 minutes
 * of `now`; throws SignatureRejected saying what is wrong. Cheap checks first; the
 * signature is compared in constant time.
 */
export function verifySignedRequest(secret: string, { timestamp, signature }: SignatureHeaders, body: Buffer, now = new Date()): void {
  if (!timestamp) throw new SignatureRejected('X-Scrm-Timestamp is missing')
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureRejected('X-Scrm-Timestamp must be the time in unix seconds')
  if (!signature) throw new SignatureRejected('X-Scrm-Signature is missing')
  const hex = signature.trim().replace(/^sha256=/i, '')
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new SignatureRejected('X-Scrm-Signature must be the 64 hex digits of an HMAC-SHA256, optionally after "sha256="')

  const skew = Number(timestamp) - Math.floor(now.getTime() / 1000)
  if (Math.abs(skew) > SIGNATURE_WINDOW_SECONDS) {
    throw new SignatureRejected(
      `X-Scrm-Timestamp is ${Math.abs(skew)} s ${skew < 0 ? 'behind' : 'ahead of'} our clock; it must be within ${SIGNATURE_WINDOW_SECONDS} s: sign each request (retries too) with the current time and keep the clock in sync`,
    )
  }
  const given = Buffer.from(hex, 'hex')
  const expected = Buffer.from(signRequest(secret, timestamp, body), 'hex')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureRejected('X-Scrm-Signature does not match: sign timestamp + "." + the exact body bytes with this source\'s current secret')
  }
}
