import { randomBytes } from 'node:crypto'
import { readFileSync, readlinkSync } from 'node:fs'
import { hostname } from 'node:os'
import type { DataSource } from 'typeorm'
import { JobDelivery, JobRun } from '../entities'

/** A claim holds this long unless renewed; a crashed run's claim frees itself after it. */
export const LEASE_MS = 60_000
/** Renewed this often while the run works: several renewals fit in one lease. */
export const RENEW_EVERY_MS = 15_000

export type RunStatus = 'running' | 'done' | 'failed'

/**
 * The pid namespace we run in: a pid means a process only within one (containers sharing a
 * host name each have their own). Unknown off Linux: then no claim is ever judged abandoned.
 */
const PID_NAMESPACE = (() => {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? 'unknown'
  } catch {
    return 'unknown'
  }
})()

/** Who holds a claim: host, process and pid namespace, plus a nonce so that two runs of one process differ. */
export const newOwner = () => `${hostname()}:${process.pid}:${PID_NAMESPACE}:${randomBytes(4).toString('hex')}`

export interface RunClaim {
  id: number
  owner: string
  /** Extends the lease; false when the claim was lost (taken over after it lapsed). */
  renew(now?: Date): Promise<boolean>
  finish(status: Exclude<RunStatus, 'running'>, summary: string, now?: Date): Promise<void>
}

export type ClaimOutcome = { claim: RunClaim } | { refused: 'done' | 'running'; by: string; since: Date }

/**
 * Claims (job, business date) before any work (SPEC §4.4): one row per pair, so of several
 * processes one runs. A run that is done stays done for the scheduler; a person re-running
 * it by hand (`rerunDone`) takes it again, and the deliveries ledger keeps anything already
 * sent from going twice. A running claim whose lease lapsed, or whose process is gone from
 * this host, is taken over.
 */
export async function claimRun(
  dataSource: DataSource,
  job: string,
  businessDate: string,
  { rerunDone = false, now = new Date(), owner = newOwner() }: { rerunDone?: boolean; now?: Date; owner?: string } = {},
): Promise<ClaimOutcome> {
  const runs = dataSource.getRepository(JobRun)
  const leaseUntil = new Date(now.getTime() + LEASE_MS)
  await runs
    .createQueryBuilder()
    .insert()
    .values({ job, businessDate, status: 'running', claimedBy: owner, startedAt: now, leaseUntil })
    .orIgnore()
    .updateEntity(false)
    .execute()
  const row = await runs.findOneByOrFail({ job, businessDate })
  if (row.claimedBy === owner) return { claim: claimOf(dataSource, row.id, owner) }

  const lapsed = row.status === 'running' && ((row.leaseUntil?.getTime() ?? 0) <= now.getTime() || ownerIsGone(row.claimedBy))
  const takeable = row.status === 'failed' || lapsed || (row.status === 'done' && rerunDone)
  if (!takeable) return { refused: row.status === 'done' ? 'done' : 'running', by: row.claimedBy, since: row.startedAt }

  // Compare-and-set on the claim we read: of two processes taking it over, one wins.
  const taken = await runs
    .createQueryBuilder()
    .update()
    .set({ status: 'running', claimedBy: owner, startedAt: now, finishedAt: null, leaseUntil, summary: null })
    .where('id = :id AND claimed_by = :previous AND status = :status', { id: row.id, previous: row.claimedBy, status: row.status })
    .execute()
  if (taken.affected !== 1) return { refused: 'running', by: 'another process', since: now }
  return { claim: claimOf(dataSource, row.id, owner) }
}

function claimOf(dataSource: DataSource, id: number, owner: string): RunClaim {
  const mine = (status = 'running') => ({ id, claimedBy: owner, status })
  return {
    id,
    owner,
    async renew(now = new Date()) {
      const result = await dataSource.getRepository(JobRun).update(mine(), { leaseUntil: new Date(now.getTime() + LEASE_MS) })
      return result.affected === 1
    },
    async finish(status, summary, now = new Date()) {
      await dataSource.getRepository(JobRun).update(mine(), { status, summary, finishedAt: now, leaseUntil: null })
    },
  }
}

/** A claim made by a process on this host that no longer exists (it crashed or was killed). */
function ownerIsGone(owner: string): boolean {
  const [host, pid, namespace] = owner.split(':')
  if (host !== hostname() || namespace !== PID_NAMESPACE || PID_NAMESPACE === 'unknown' || !/^\d+$/.test(pid ?? '') || Number(pid) === process.pid) return false
  try {
    process.kill(Number(pid), 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  // A killed process nobody reaped yet still answers signals: on Linux, its state says zombie.
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

export type DeliveryOutcome = 'sent' | 'invalid' | 'already' | 'failed'

export interface DeliveryKey {
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
 * Sends one message at most once per key. The message is recorded before sending, then the
 * row is claimed ('sending', with a lease) by a conditional update, so of two senders (two
 * runs whose claims overlapped, or an inbox event handled twice) only one sends. Every attempt
 * sends the message as first recorded: after a crash between WeCom's answer and our record,
 * the resend is identical, and WeCom's duplicate check drops it. A key already 'sent' or
 * 'invalid' (WeCom's invaliduser: retrying cannot help) is skipped; a 'failed' one is tried
 * again by the next run. `send` gets the recorded payload and resolves 'sent' or 'invalid', or throws.
 */
export async function deliverOnce(
  dataSource: DataSource,
  key: DeliveryKey,
  payload: string,
  send: (payload: string) => Promise<'sent' | 'invalid'>,
  owner: string,
): Promise<{ outcome: DeliveryOutcome; error?: Error }> {
  const deliveries = dataSource.getRepository(JobDelivery)
  const now = new Date()
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
    const outcome = await send(row.payload ?? payload)
    await deliveries.update({ id: row.id }, { status: outcome, lastError: null, sentAt: new Date(), claimedBy: null, leaseUntil: null })
    return { outcome }
  } catch (error) {
    await deliveries.update({ id: row.id }, { status: 'failed', lastError: String((error as Error).message).slice(0, 1000), claimedBy: null, leaseUntil: null })
    return { outcome: 'failed', error: error as Error }
  }
}
