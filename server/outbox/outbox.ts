import type { DataSource } from 'typeorm'
import { OutboxMessage } from '../entities'
import { ownerIsGone } from '../processIdentity'

export type DeliveryOutcome = 'sent' | 'invalid' | 'already' | 'failed'

export interface DeliveryKey {
  /** What sends it: 'daily-digest', 'loss-alert', … */
  job: string
  businessDate: string
  /** Who gets it, and which part: 'digest:zhaomin#1', 'todo:lisi', 'robot#3'. */
  recipient: string
}

/**
 * Longer than a send can take with its retries (a 45009 waits out its minute, twice): a
 * delivery claimed by a process that died is sent again only after this.
 */
const DELIVERY_LEASE_MS = 5 * 60_000

/**
 * The outbox (SPEC §2): every message and WeCom task goes out at most once per key, whoever
 * sends it. The message is recorded (as JSON) before sending, then the row is claimed
 * ('sending', with a lease) by a conditional update, so of two senders (two runs whose
 * claims overlapped, or an inbox event handled twice) only one sends. Every attempt sends
 * the message as first recorded: after a crash between WeCom's answer and our record, the
 * resend is identical, and WeCom's duplicate check drops it. A key already 'sent' or
 * 'invalid' (WeCom's invaliduser: retrying cannot help) is skipped; a 'failed' one is tried
 * again by the next attempt. `send` gets the recorded message and resolves 'sent' or
 * 'invalid', or throws.
 */
export async function deliverOnce<M>(
  dataSource: DataSource,
  key: DeliveryKey,
  message: M,
  send: (recorded: M) => Promise<'sent' | 'invalid'>,
  owner: string,
): Promise<{ outcome: DeliveryOutcome; error?: Error }> {
  const deliveries = dataSource.getRepository(OutboxMessage)
  const now = new Date()
  const payload = JSON.stringify(message)
  await deliveries
    .createQueryBuilder()
    .insert()
    .values({ ...key, status: 'pending', attempts: 0, payload, createdAt: now })
    .orIgnore()
    .updateEntity(false)
    .execute()
  const row = await deliveries.findOneByOrFail({ ...key })
  if (row.status === 'sent' || row.status === 'invalid') return { outcome: 'already' }
  // A sender that died on this host gave it up at once; elsewhere, when its lease lapses.
  const abandoned = row.status === 'sending' && row.claimedBy !== null && ownerIsGone(row.claimedBy) ? row.claimedBy : null
  const claimed = await deliveries
    .createQueryBuilder()
    .update()
    .set({ status: 'sending', claimedBy: owner, leaseUntil: new Date(now.getTime() + DELIVERY_LEASE_MS), attempts: () => 'attempts + 1' })
    .where("id = :id AND (status IN ('pending', 'failed') OR (status = 'sending' AND (lease_until < :now OR claimed_by = :abandoned)))", { id: row.id, now, abandoned })
    .execute()
  // Someone else is sending it right now.
  if (claimed.affected !== 1) return { outcome: 'already' }
  try {
    const outcome = await send(JSON.parse(row.payload ?? payload) as M)
    await deliveries.update({ id: row.id }, { status: outcome, lastError: null, sentAt: new Date(), claimedBy: null, leaseUntil: null })
    return { outcome }
  } catch (error) {
    await deliveries.update({ id: row.id }, { status: 'failed', lastError: String((error as Error).message).slice(0, 1000), claimedBy: null, leaseUntil: null })
    return { outcome: 'failed', error: error as Error }
  }
}
