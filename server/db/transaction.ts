import type { DataSource, EntityManager } from 'typeorm'
import { isMysql, readCommitted } from './dialect'

/** MySQL's "deadlock found" and "lock wait timeout": the transaction was rolled back, try again. */
const RETRYABLE_ERRNOS = new Set([1213, 1205])
const TRIES = 4

const isRetryable = (error: unknown) => RETRYABLE_ERRNOS.has(Number((error as { driverError?: { errno?: unknown } }).driverError?.errno))

/**
 * A transaction for concurrent upserts (sync chunks, inbox workers). On MySQL it runs in
 * READ COMMITTED, so plain reads take no gap locks, and is retried when MySQL picks it as
 * a deadlock victim: every write in it is an idempotent upsert, so a retry is safe.
 */
export async function upsertTransaction<T>(dataSource: DataSource, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  if (!isMysql(dataSource)) return dataSource.transaction(work)
  for (let attempt = 1; ; attempt++) {
    try {
      return await readCommitted(dataSource, work)
    } catch (error) {
      if (!isRetryable(error) || attempt >= TRIES) throw error
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt * (1 + Math.random())))
    }
  }
}
