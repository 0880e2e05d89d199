import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { DataSource } from 'typeorm'
import { query, rawInstant } from '../db/sql'
import { MEMBER_STATUS, Session } from '../entities'

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 12 * 60 * 60_000
/** …and after this long in any case: a shop shift, then a week of them, not forever. */
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60_000
/** Writes last_seen_at at most this often: every panel open would otherwise be a write. */
const TOUCH_EVERY_MS = 60_000

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

export interface SignedInMember {
  id: number
  userid: string
  name: string
  csrfToken: string
}

/** Starts a session for a member; returns the cookie's token (only its hash is stored). */
export async function createSession(dataSource: DataSource, memberId: number, now = new Date()): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url')
  const csrfToken = randomBytes(24).toString('base64url')
  await dataSource.getRepository(Session).insert({
    tokenHash: hash(token),
    memberId,
    csrfToken,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS),
  })
  return { token, csrfToken }
}

/** The member behind a session token, or null when it is unknown, idle too long, expired, or the member left. */
export async function findSession(dataSource: DataSource, token: string | undefined, now = new Date()): Promise<SignedInMember | null> {
  if (!token) return null
  // Every API call starts here: session and member in one plain query.
  const [row] = await query<{ token_hash: string; csrf_token: string; last_seen_at: Date | string; expires_at: Date | string; member_id: number; userid: string; name: string; status: number }>(
    dataSource.manager,
    `SELECT s.token_hash, s.csrf_token, s.last_seen_at, s.expires_at, m.id AS member_id, m.userid, m.name, m.status
       FROM sessions s JOIN members m ON m.id = s.member_id WHERE s.token_hash = :hash`,
    { hash: hash(token) },
  )
  if (!row) return null
  const lastSeenAt = rawInstant(row.last_seen_at)
  if (rawInstant(row.expires_at) <= now || now.getTime() - lastSeenAt.getTime() > SESSION_IDLE_MS) {
    await dataSource.getRepository(Session).delete({ tokenHash: row.token_hash })
    return null
  }
  if (Number(row.status) === MEMBER_STATUS.left) return null
  if (now.getTime() - lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await dataSource.getRepository(Session).update({ tokenHash: row.token_hash }, { lastSeenAt: now })
  }
  return { id: Number(row.member_id), userid: row.userid, name: row.name, csrfToken: row.csrf_token }
}

export async function endSession(dataSource: DataSource, token: string): Promise<void> {
  await dataSource.getRepository(Session).delete({ tokenHash: hash(token) })
}

/** Constant-time equality of two short secrets. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false
  const [a, b] = [Buffer.from(given), Buffer.from(expected)]
  return a.length === b.length && timingSafeEqual(a, b)
}
