import { randomBytes } from 'node:crypto'
import { In, type DataSource } from 'typeorm'
import { mapConcurrent } from '../concurrency'
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

/** A message and the key it goes out once under (callers may add what their `send` needs, as the recipient). */
export interface OutboxItem<M> {
  key: DeliveryKey
  message: M
}

export interface Delivery {
  key: DeliveryKey
  /** 'stopped': not tried, as the caller's signal was aborted before its slice. */
  outcome: DeliveryOutcome | 'stopped'
  error?: Error
}

/**
 * Messages recorded and claimed together: one insert, one read and one claim for all of
 * them, so a digest's thousands of messages each cost only the write of their result. Small
 * enough that the slice is sent long before its lease lapses.
 */
const CLAIM_SLICE = 100

/**
 * The outbox (SPEC §2): every message and WeCom task goes out at most once per key, whoever
 * sends it. Each message is recorded (as JSON) before sending, then its row is claimed
 * ('sending', with a lease) by a conditional update under a token of this claim, so of two
 * senders (two runs whose claims overlapped, an inbox event handled twice) only one sends.
 * Every attempt sends the message as first recorded: after a crash between WeCom's answer
 * and our record, the resend is identical, and WeCom's duplicate check drops it. A key
 * already 'sent' or 'invalid' (WeCom's invaliduser: retrying cannot help) is skipped; a
 * 'failed' one is tried again by the next attempt. `send` gets the recorded message and its
 * item, and resolves 'sent' or 'invalid', or throws; `concurrency` sends run at once.
 */
export async function deliverAll<I extends OutboxItem<unknown>>(
  dataSource: DataSource,
  items: readonly I[],
  send: (recorded: I['message'], item: I) => Promise<'sent' | 'invalid'>,
  { owner, concurrency = 1, signal }: { owner: string; concurrency?: number; signal?: AbortSignal },
): Promise<Delivery[]> {
  const deliveries: Delivery[] = []
  for (let start = 0; start < items.length; start += CLAIM_SLICE) {
    const slice = items.slice(start, start + CLAIM_SLICE)
    if (signal?.aborted) {
      deliveries.push(...slice.map(({ key }) => ({ key, outcome: 'stopped' as const })))
      continue
    }
    const claimed = await recordAndClaim(dataSource, slice, owner)
    const sent = await mapConcurrent(slice, concurrency, async (item, i): Promise<Delivery> => {
      const row = claimed[i]
      if (!row) return { key: item.key, outcome: 'already' }
      const recorded = row.payload === null ? item.message : (JSON.parse(row.payload) as I['message'])
      return { key: item.key, ...(await sendClaimed(dataSource, row.id, () => send(recorded, item))) }
    })
    deliveries.push(...sent)
  }
  return deliveries
}

/** One message through the outbox (a loss alert's recipient, a welcome): deliverAll of one. */
export async function deliverOnce<M>(
  dataSource: DataSource,
  key: DeliveryKey,
  message: M,
  send: (recorded: M) => Promise<'sent' | 'invalid'>,
  owner: string,
): Promise<{ outcome: DeliveryOutcome; error?: Error }> {
  const [delivery] = await deliverAll(dataSource, [{ key, message }], send, { owner })
  return { outcome: delivery!.outcome as DeliveryOutcome, ...(delivery!.error ? { error: delivery!.error } : {}) }
}

const keyText = ({ job, businessDate, recipient }: DeliveryKey) => `${job}\u0000${businessDate}\u0000${recipient}`

/**
 * Records the slice's messages (a key already there keeps its first), claims what may be
 * sent, and returns the rows this claim won, by position: a key the slice repeats, once.
 */
async function recordAndClaim(dataSource: DataSource, slice: readonly OutboxItem<unknown>[], owner: string): Promise<(OutboxMessage | null)[]> {
  const outbox = dataSource.getRepository(OutboxMessage)
  const now = new Date()
  await outbox
    .createQueryBuilder()
    .insert()
    .values(slice.map(({ key, message }) => ({ ...key, status: 'pending', attempts: 0, payload: JSON.stringify(message), createdAt: now })))
    .orIgnore()
    .updateEntity(false)
    .execute()
  const rows = new Map((await outbox.find({ where: slice.map(({ key }) => ({ ...key })) })).map((row) => [keyText(row), row]))
  // A sender that died on this host gave its claims up at once; elsewhere, when their lease lapses.
  const abandoned = [...new Set([...rows.values()].flatMap((row) => (row.status === 'sending' && row.claimedBy !== null && ownerIsGone(row.claimedBy) ? [row.claimedBy] : [])))]
  const ids = [...rows.values()].map((row) => row.id)
  const token = `${owner}:${randomBytes(4).toString('hex')}`
  await outbox
    .createQueryBuilder()
    .update()
    .set({ status: 'sending', claimedBy: token, leaseUntil: new Date(now.getTime() + DELIVERY_LEASE_MS), attempts: () => 'attempts + 1' })
    .where('id IN (:...ids)', { ids })
    .andWhere(
      `(status IN ('pending', 'failed') OR (status = 'sending' AND (lease_until < :now${abandoned.length > 0 ? ' OR claimed_by IN (:...abandoned)' : ''})))`,
      { now, abandoned },
    )
    .execute()
  const won = new Set((await outbox.find({ select: { id: true }, where: { id: In(ids), claimedBy: token } })).map((row) => row.id))
  return slice.map(({ key }) => {
    const row = rows.get(keyText(key))
    if (!row || !won.delete(row.id)) return null
    return row
  })
}

/** Sends a claimed message and records how it went. */
async function sendClaimed(dataSource: DataSource, id: number, send: () => Promise<'sent' | 'invalid'>): Promise<{ outcome: DeliveryOutcome; error?: Error }> {
  const outbox = dataSource.getRepository(OutboxMessage)
  try {
    const outcome = await send()
    await outbox.update({ id }, { status: outcome, lastError: null, sentAt: new Date(), claimedBy: null, leaseUntil: null })
    return { outcome }
  } catch (error) {
    await outbox.update({ id }, { status: 'failed', lastError: String((error as Error).message).slice(0, 1000), claimedBy: null, leaseUntil: null })
    return { outcome: 'failed', error: error as Error }
  }
}
