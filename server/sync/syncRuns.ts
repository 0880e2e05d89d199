import type { DataSource, EntityManager } from 'typeorm'
import { SyncRun, type SyncRunOrigin } from '../entities'
import type { Logger } from '../logger'
import { newOwner, ownerIsGone } from '../processIdentity'
import type { WecomClient } from '../wecom/client'
import { fullSync, type SyncProgress, type SyncSummary } from './fullSync'

/** Held in sync_runs.running_key by the running sync: its unique index admits one at a time, across processes. */
const RUNNING_KEY = 'full-sync'
/** A claim holds this long unless renewed; a crashed process's claim frees itself after it. */
export const SYNC_LEASE_MS = 60_000
const RENEW_EVERY_MS = 15_000
/** Progress is written at most this often while the sync runs (the page polls every 2 s). */
const PROGRESS_WRITE_MS = 500
const ERROR_LENGTH = 2_000

export type SyncRunProgress = Partial<Record<SyncProgress['stage'], { done: number; total: number }>>

/** How a recorded sync ended, as its row says too. */
export type SyncOutcome = { status: 'done'; summary: SyncSummary } | { status: 'failed'; error: Error }

export type SyncStart =
  /** `finished` settles once the sync has ended and its row says how; it never rejects. */
  | { started: true; run: SyncRun; finished: Promise<SyncOutcome> }
  | { started: false; run: SyncRun }

export interface StartSyncOptions {
  origin: SyncRunOrigin
  /** Who pressed 立即同步; null when no member started it (the CLI, the nightly job). */
  actorMemberId: number | null
  logger: Logger
  /** Told of every progress step, besides its recording (the CLI's progress bar). */
  onProgress?: (progress: SyncProgress) => void
  /** Runs in the claim's transaction once the run is ours (the console's activity log entry). */
  onClaimed?: (tx: EntityManager, run: SyncRun) => Promise<void>
  now?: Date
}

/**
 * Starts a full sync in this process, recorded in sync_runs with its progress and outcome,
 * unless one is running already (here or in another process): then that one is answered.
 * A running row whose lease lapsed, or whose process on this host is gone, is closed as
 * failed and taken over; the sync itself resumes from its checkpoint.
 */
export async function startRecordedSync(dataSource: DataSource, client: WecomClient, options: StartSyncOptions): Promise<SyncStart> {
  const owner = newOwner()
  const now = options.now ?? new Date()
  const claimed = await dataSource.transaction(async (tx) => {
    const runs = tx.getRepository(SyncRun)
    const holder = await runs.findOneBy({ runningKey: RUNNING_KEY })
    if (holder && ((holder.leaseUntil?.getTime() ?? 0) <= now.getTime() || ownerIsGone(holder.claimedBy))) {
      await runs.update(
        { id: holder.id, claimedBy: holder.claimedBy, runningKey: RUNNING_KEY },
        { status: 'failed', runningKey: null, leaseUntil: null, finishedAt: now, error: 'interrupted: its process stopped before the sync ended' },
      )
    }
    await runs
      .createQueryBuilder()
      .insert()
      .values({
        origin: options.origin,
        actorMemberId: options.actorMemberId,
        status: 'running',
        runningKey: RUNNING_KEY,
        claimedBy: owner,
        startedAt: now,
        leaseUntil: new Date(now.getTime() + SYNC_LEASE_MS),
        progress: '{}',
      })
      .orIgnore()
      .updateEntity(false)
      .execute()
    const run = await runs.findOneByOrFail({ runningKey: RUNNING_KEY })
    if (run.claimedBy !== owner) return { mine: false as const, run }
    await options.onClaimed?.(tx, run)
    return { mine: true as const, run }
  })
  if (!claimed.mine) return { started: false, run: claimed.run }
  return { started: true, run: claimed.run, finished: runSync(dataSource, client, claimed.run, options) }
}

/** The sync of a claimed run: progress written as it comes (throttled), the lease renewed, the outcome recorded. */
async function runSync(dataSource: DataSource, client: WecomClient, run: SyncRun, options: StartSyncOptions): Promise<SyncOutcome> {
  const { logger } = options
  const runs = dataSource.getRepository(SyncRun)
  const mine = { id: run.id, claimedBy: run.claimedBy, status: 'running' as const }
  const progress: SyncRunProgress = {}
  // Writes go one after the other, so the final one is last.
  let writes = Promise.resolve()
  const write = (values: Partial<SyncRun>) => {
    writes = writes.then(() => runs.update(mine, values)).then(
      () => {},
      (error: unknown) => logger.warn({ err: error, syncRunId: run.id }, 'sync run: could not record progress'),
    )
    return writes
  }
  // At once when nothing was written for PROGRESS_WRITE_MS, else once that much time has passed.
  let progressTimer: NodeJS.Timeout | null = null
  let lastWrite = 0
  const writeProgress = () => {
    progressTimer = null
    lastWrite = Date.now()
    void write({ progress: JSON.stringify(progress) })
  }
  const recordProgress = (step: SyncProgress) => {
    options.onProgress?.(step)
    progress[step.stage] = { done: step.done, total: step.total }
    if (progressTimer) return
    const wait = lastWrite + PROGRESS_WRITE_MS - Date.now()
    if (wait <= 0) writeProgress()
    else progressTimer = setTimeout(writeProgress, wait)
  }
  const renewal = setInterval(() => void write({ leaseUntil: new Date(Date.now() + SYNC_LEASE_MS) }), RENEW_EVERY_MS)
  let outcome: SyncOutcome
  try {
    const summary = await fullSync(dataSource, client, { logger, onProgress: recordProgress })
    outcome = { status: 'done', summary }
    logger.info({ syncRunId: run.id, summary }, 'sync run finished')
  } catch (error) {
    outcome = { status: 'failed', error: error instanceof Error ? error : new Error(String(error)) }
    logger.warn({ err: error, syncRunId: run.id }, 'sync run failed')
  } finally {
    clearInterval(renewal)
    if (progressTimer) clearTimeout(progressTimer)
  }
  const recorded: Partial<SyncRun> =
    outcome.status === 'done'
      ? { status: 'done', summary: JSON.stringify(outcome.summary) }
      : { status: 'failed', error: `${outcome.error.name}: ${outcome.error.message}`.slice(0, ERROR_LENGTH) }
  await write({ ...recorded, progress: JSON.stringify(progress), finishedAt: new Date(), leaseUntil: null, runningKey: null })
  return outcome
}
