import { hostname } from 'node:os'
import type { DataSource, EntityManager } from 'typeorm'
import { Gauge, Counter } from 'prom-client'
import { InboxEvent } from '../entities'
import { parallelWriters, readCommitted, skipLocked } from '../db/dialect'
import { query } from '../db/sql'
import { mapConcurrent } from '../concurrency'
import type { Logger } from '../logger'
import { metricsRegistry } from '../metrics'
import { watchAckPressure } from './loopPressure'

/** What a handler decided: done (it changed what it had to), or ignored (not for us). */
export type HandlerOutcome = 'done' | 'ignored'
/** Handles one inbox row; throws to have it retried (StepsFailed to name the processors that failed). */
export type InboxHandler = (event: InboxEvent) => Promise<HandlerOutcome>

const describeError = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error))

/** Some processors' steps failed: the message (the row's last_error) names each with its error. */
export class StepsFailed extends Error {
  override name = 'StepsFailed'
  readonly processors: string[]

  constructor(failures: { processor: string; error: unknown }[]) {
    super(failures.map(({ processor, error }) => `${processor}: ${describeError(error)}`).join('; '))
    this.processors = failures.map((failure) => failure.processor)
  }
}

/** The failure metric's label for a failure outside any processor (parsing, recording, a bare handler). */
const OUTSIDE_PROCESSORS = 'inbox'

export const MAX_ATTEMPTS = 8

export interface InboxWorkerOptions {
  dataSource: DataSource
  handle: InboxHandler
  logger: Logger
  /** Rows claimed per round. */
  batchSize?: number
  /** How long a claimed row stays invisible to other workers; a crashed worker's rows return after it. */
  claimMs?: number
  /** First retry delay; doubles per attempt, with jitter. */
  retryBaseMs?: number
  /** Idle polling interval; `wake()` cuts it short when a callback arrives. */
  idleMs?: number
  /** Runs before each round, e.g. to move spooled callbacks into the inbox. */
  beforeRound?: () => Promise<void>
  /**
   * Events handled at once. Handlers wait on WeCom most of the time, so a few in flight keep
   * the queue moving when WeCom is slow. SQLite runs one: its single connection cannot hold
   * two transactions at once.
   */
  concurrency?: number
}

const received = new Counter({ name: 'inbox_received_total', help: 'Callbacks journaled (duplicates excluded)', registers: [metricsRegistry] })
const processed = new Counter({
  name: 'inbox_processed_total',
  help: 'Inbox events finished, by outcome',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
})
const failed = new Counter({
  name: 'inbox_failed_attempts_total',
  help: 'Failed attempts, by the processor that failed ("inbox" outside any)',
  labelNames: ['processor'] as const,
  registers: [metricsRegistry],
})
const dead = new Counter({ name: 'inbox_dead_total', help: 'Inbox events moved to the dead-letter state', registers: [metricsRegistry] })

export const inboxMetrics = { received }

/** The lag gauge reads the database when scraped: the age of the oldest event still pending. */
export function registerInboxGauges(dataSource: DataSource): void {
  metricsRegistry.removeSingleMetric('inbox_lag_seconds')
  metricsRegistry.removeSingleMetric('inbox_pending')
  new Gauge({
    name: 'inbox_lag_seconds',
    help: 'Age of the oldest pending inbox event',
    registers: [metricsRegistry],
    async collect() {
      if (!dataSource.isInitialized) return
      const oldest = await dataSource.getRepository(InboxEvent).findOne({ where: { status: 'pending' }, order: { receivedAt: 'ASC' } })
      this.set(oldest ? (Date.now() - oldest.receivedAt.getTime()) / 1000 : 0)
    },
  })
  new Gauge({
    name: 'inbox_pending',
    help: 'Inbox events pending, and dead letters waiting for replay',
    labelNames: ['status'] as const,
    registers: [metricsRegistry],
    async collect() {
      if (!dataSource.isInitialized) return
      const rows: { status: string; n: number }[] = await dataSource.query(
        "SELECT status, COUNT(*) AS n FROM inbox_events WHERE status IN ('pending', 'dead') GROUP BY status",
      )
      this.reset()
      for (const status of ['pending', 'dead']) this.set({ status }, Number(rows.find((row) => row.status === status)?.n ?? 0))
    },
  })
}

/**
 * Claims due rows so that no other worker, in this process or another, takes them:
 * on MySQL with FOR UPDATE SKIP LOCKED, then by pushing next_attempt_at past the claim.
 * SQLite runs a single worker and its transactions are serial, so the same update suffices.
 * Rows with a deadline come first, the nearest deadline first; then the rest, oldest due first
 * (unless `deadlinesOnly`: the deadline lane's claim).
 */
export async function claimDueEvents(manager: EntityManager, limit: number, claimMs: number, now = new Date(), { deadlinesOnly = false } = {}): Promise<InboxEvent[]> {
  // READ COMMITTED: REPEATABLE READ's gap locks on the scanned range would make the
  // callback route's inserts wait for the claim.
  const claim = async (tx: EntityManager) => {
    // Two range scans, one per index: (status, deadline_at) reads only the rows with a
    // deadline, however many others are pending; one ORDER BY over both would sort them all.
    // `> epoch` rather than IS NOT NULL: a range SQLite's planner also takes on that index.
    const urgent = await query<{ id: number }>(
      tx,
      `SELECT id FROM inbox_events WHERE status = 'pending' AND deadline_at > :epoch AND next_attempt_at <= :now ORDER BY deadline_at, id LIMIT ${Number(limit)}${skipLocked(tx)}`,
      { now, epoch: new Date(0) },
    )
    const claimed = urgent.map((row) => Number(row.id))
    if (claimed.length < limit && !deadlinesOnly) {
      const others = await query<{ id: number }>(
        tx,
        `SELECT id FROM inbox_events WHERE status = 'pending' AND next_attempt_at <= :now${claimed.length > 0 ? ' AND id NOT IN (:...claimed)' : ''} ORDER BY next_attempt_at, id LIMIT ${Number(limit - claimed.length)}${skipLocked(tx)}`,
        { now, claimed },
      )
      claimed.push(...others.map((row) => Number(row.id)))
    }
    if (claimed.length === 0) return []
    const ids = claimed
    await tx
      .createQueryBuilder()
      .update(InboxEvent)
      .set({ nextAttemptAt: new Date(now.getTime() + claimMs), attempts: () => 'attempts + 1' })
      .whereInIds(ids)
      .execute()
    const rows = new Map((await tx.getRepository(InboxEvent).findBy(ids.map((id) => ({ id })))).map((row) => [row.id, row]))
    // In claim order: the worker starts the deadline rows first.
    return ids.flatMap((id) => rows.get(id) ?? [])
  }
  return readCommitted(manager, claim)
}

/**
 * Runs the handler on one claimed event and records the outcome: done or ignored; on a
 * failure a retry after an exponential back-off, or the dead-letter state after MAX_ATTEMPTS,
 * with the error (naming the failed processors) in last_error.
 */
export async function processInboxEvent(
  event: InboxEvent,
  { dataSource, handle, logger, retryBaseMs }: { dataSource: DataSource; handle: InboxHandler; logger: Logger; retryBaseMs: number },
): Promise<void> {
  const repository = dataSource.getRepository(InboxEvent)
  try {
    const outcome = await handle(event)
    await repository.update(event.id, { status: outcome, processedAt: new Date(), lastError: null })
    processed.inc({ outcome })
  } catch (error) {
    const processors = error instanceof StepsFailed ? error.processors : [OUTSIDE_PROCESSORS]
    for (const processor of processors) failed.inc({ processor })
    const message = error instanceof StepsFailed ? error.message : describeError(error)
    if (event.attempts >= MAX_ATTEMPTS) {
      await repository.update(event.id, { status: 'dead', lastError: message, processedAt: new Date() })
      dead.inc()
      logger.error({ inboxId: event.id, attempts: event.attempts, processors, error: message }, 'inbox event dead-lettered')
    } else {
      const delay = retryBaseMs * 2 ** (event.attempts - 1) * (0.75 + Math.random() / 2)
      await repository.update(event.id, { lastError: message, nextAttemptAt: new Date(Date.now() + delay) })
      logger.warn({ inboxId: event.id, attempts: event.attempts, processors, retryInMs: Math.round(delay), error: message }, 'inbox event failed; will retry')
    }
  }
}

/** Runs inbox rounds until stopped. Any number of workers may run against one MySQL. */
export function startInboxWorker(options: InboxWorkerOptions) {
  const { dataSource, logger } = options
  const batchSize = options.batchSize ?? 20
  const claimMs = options.claimMs ?? 60_000
  const retryBaseMs = options.retryBaseMs ?? 5_000
  const idleMs = options.idleMs ?? 1_000
  const concurrency = parallelWriters(dataSource, options.concurrency ?? 4)
  const owner = `${hostname()}:${process.pid}`
  const pressure = watchAckPressure()

  let running = true
  let wakeUp: (() => void) | null = null
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wakeUp = null
        resolve()
      }
      wakeUp = done
    })

  /**
   * The deadline lane (MySQL, where workers run side by side): an event with a deadline (a
   * welcome's 20 s) journaled while a round is at work is claimed and handled at once, beside
   * that round, instead of after it: a round of slow WeCom calls can take longer than a
   * deadline. SQLite's one connection runs one transaction at a time: there the next round
   * takes it first.
   */
  const withLane = parallelWriters(dataSource, 2) > 1
  let lane: Promise<void> | null = null
  let laneAgain = false
  const runLane = () => {
    if (lane) {
      laneAgain = true
      return
    }
    lane = (async () => {
      do {
        laneAgain = false
        for (;;) {
          const events = await claimDueEvents(dataSource.manager, batchSize, claimMs, new Date(), { deadlinesOnly: true })
          if (events.length === 0) break
          await mapConcurrent(events, concurrency, (event) => processInboxEvent(event, { dataSource, handle: options.handle, logger, retryBaseMs }))
        }
      } while (laneAgain && running)
    })()
      .catch((error: unknown) => logger.warn({ err: error, owner }, 'inbox deadline lane failed; the next round takes its events'))
      .finally(() => {
        lane = null
      })
  }

  const loop = (async () => {
    while (running) {
      try {
        await options.beforeRound?.()
        const events = await claimDueEvents(dataSource.manager, batchSize, claimMs)
        await mapConcurrent(events, concurrency, async (event) => {
          // An event with a deadline never steps aside: its own callback is what makes the pressure.
          if (event.deadlineAt === null) await pressure.yieldWhileBusy()
          await processInboxEvent(event, { dataSource, handle: options.handle, logger, retryBaseMs })
        })
        if (events.length < batchSize && running) await sleep(idleMs)
      } catch (error) {
        // The database went away, most likely: wait and try again; claimed rows come back.
        logger.warn({ err: error, owner }, 'inbox round failed')
        if (running) await sleep(idleMs)
      }
    }
  })()

  return {
    /** A callback was journaled: look now instead of at the next poll; one with a deadline (`urgent`) is taken at once. */
    wake: (urgent = false) => {
      pressure.noteCallback()
      if (urgent && withLane && running) runLane()
      wakeUp?.()
    },
    async stop(): Promise<void> {
      running = false
      wakeUp?.()
      await loop
      await lane
      pressure.stop()
    },
  }
}

export type InboxWorker = ReturnType<typeof startInboxWorker>

/**
 * Puts dead letters (all, or the given ids) back in the queue, as new. Only dead letters: a
 * replayed event (pending again, or done since) and a live one are left as they are, so
 * replaying twice changes nothing more. Pass a transaction to replay with other writes.
 */
export async function replayDeadLetters(db: DataSource | EntityManager, ids?: number[]): Promise<number> {
  const update = db
    .createQueryBuilder()
    .update(InboxEvent)
    .set({ status: 'pending', attempts: 0, nextAttemptAt: new Date(), processedAt: null })
    .where("status = 'dead'")
  if (ids) update.andWhereInIds(ids)
  const result = await update.execute()
  return result.affected ?? 0
}
