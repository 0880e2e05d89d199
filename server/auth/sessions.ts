import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { DataSource } from 'typeorm'
import { Member, MEMBER_STATUS, Session } from '../entities'

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
  // Every API call starts here: session and member in one query.
  const row = await dataSource
    .getRepository(Session)
    .createQueryBuilder('s')
    .innerJoin(Member, 'm', 'm.id = s.member_id')
    .select(['s.tokenHash', 's.csrfToken', 's.lastSeenAt', 's.expiresAt'])
    .addSelect(['m.id AS member_id', 'm.userid AS member_userid', 'm.name AS member_name', 'm.status AS member_status'])
    .where('s.token_hash = :hash', { hash: hash(token) })
    .getRawAndEntities()
  const session = row.entities[0]
  const member = row.raw[0] as { member_id: number; member_userid: string; member_name: string; member_status: number } | undefined
  if (!session || !member) return null
  if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > SESSION_IDLE_MS) {
    await dataSource.getRepository(Session).delete({ tokenHash: session.tokenHash })
    return null
  }
  if (Number(member.member_status) === MEMBER_STATUS.left) return null
  if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await dataSource.getRepository(Session).update({ tokenHash: session.tokenHash }, { lastSeenAt: now })
  }
  return { id: Number(member.member_id), userid: member.member_userid, name: member.member_name, csrfToken: session.csrfToken }
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
