import type { DataSource } from 'typeorm'
import { JobRun } from '../entities'
import { newOwner, ownerIsGone } from '../processIdentity'

/** A claim holds this long unless renewed; a crashed run's claim frees itself after it. */
export const LEASE_MS = 60_000
/** Renewed this often while the run works: several renewals fit in one lease. */
export const RENEW_EVERY_MS = 15_000

export type RunStatus = 'running' | 'done' | 'failed'

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
 * it by hand (`rerunDone`) takes it again, and the outbox keeps anything already
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
