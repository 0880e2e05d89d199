import { createHash } from 'node:crypto'
import type { DataSource } from 'typeorm'
import { mysqlPool, type MysqlPool } from '../db/dialect'
import { processorDeadlines } from '../processors'
import type { DeadlineTable } from '../processors/processor'
import { eventNames } from '../wecom/events'
import { parseXml, type XmlObject } from '../wecom/xml'

export const dedupeKey = (plaintext: string) => createHash('sha256').update(plaintext, 'utf8').digest('hex')

const COLUMN_LIST = '(dedupe_key, plaintext, event, change_type, status, attempts, next_attempt_at, received_at, deadline_at)'
const ROW = "(?, ?, ?, ?, 'pending', 0, ?, ?, ?)"
// SQLite reports the last rowid, not whether this insert happened: RETURNING says so.
const INSERT_SQLITE = `INSERT INTO inbox_events ${COLUMN_LIST} VALUES ${ROW} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`
/** Rows in one multi-row INSERT at most. */
const MAX_BATCH = 200

/** A UTC instant as both databases store DATETIME(3): '2026-11-23 05:02:08.256'. */
const utcText = (instant: Date) => instant.toISOString().slice(0, 23).replace('T', ' ')

type Row = [key: string, plaintext: string, event: string, changeType: string, nextAttemptAt: string, receivedAt: string, deadlineAt: string | null]

/**
 * Group commit for the callback route on MySQL: while one INSERT is in flight, callbacks
 * that arrive queue up, and the next statement writes them all in one round trip and one
 * commit. Alone, a callback is written at once; under load the cost per callback falls.
 * Each caller still learns whether its row was new.
 */
class MysqlJournal {
  private queue: { row: Row; settle: (inserted: boolean | Error) => void }[] = []
  private writing = false

  constructor(private readonly pool: MysqlPool) {}

  write(row: Row): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, settle: (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome)) })
      if (!this.writing) void this.drain()
    })
  }

  private async drain(): Promise<void> {
    this.writing = true
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH)
      try {
        const inserted = await this.insert(batch.map((entry) => entry.row))
        // Of several deliveries of one plaintext in the batch, the first is the new one.
        const claimed = new Set<string>()
        for (const { row, settle } of batch) {
          const isNew = inserted.has(row[0]) && !claimed.has(row[0])
          if (isNew) claimed.add(row[0])
          settle(isNew)
        }
      } catch (error) {
        for (const { settle } of batch) settle(error as Error)
      }
    }
    this.writing = false
  }

  /** Inserts the rows, ignoring keys already journaled; returns the keys this statement added. */
  private async insert(rows: Row[]): Promise<Set<string>> {
    const unique = [...new Map(rows.map((row) => [row[0], row])).values()]
    const sql = `INSERT IGNORE INTO inbox_events ${COLUMN_LIST} VALUES ${unique.map(() => ROW).join(', ')}`
    const result = (await this.run(sql, unique.flat())) as { affectedRows: number; insertId: number }
    if (result.affectedRows === unique.length) return new Set(unique.map((row) => row[0]))
    if (result.affectedRows === 0) return new Set()
    // Some were re-deliveries: the new rows are those with ids from this statement on.
    const added = (await this.run(`SELECT dedupe_key FROM inbox_events WHERE id >= ? AND dedupe_key IN (${unique.map(() => '?').join(', ')})`, [
      result.insertId,
      ...unique.map((row) => row[0]),
    ])) as { dedupe_key: string }[]
    return new Set(added.map((row) => row.dedupe_key))
  }

  private run(sql: string, values: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => this.pool.query(sql, values, (error, result) => (error ? reject(error) : resolve(result))))
  }
}

const mysqlJournals = new WeakMap<DataSource, MysqlJournal>()

export interface JournalOptions {
  /** The plaintext's elements, when the caller has them: saves a second parse. */
  fields?: XmlObject
  /** Which events processors must handle by a deadline; the registry's unless a test builds its own. */
  deadlines?: DeadlineTable
}

/** Whether some processor must handle this callback by a deadline (the worker then takes it at once). */
export function hasDeadline(fields: XmlObject, deadlines: DeadlineTable = processorDeadlines): boolean {
  const { event, changeType } = eventNames(fields)
  return deadlines.deadlineMs(event, changeType) !== null
}

/**
 * Journals a decrypted callback; WeCom's re-deliveries of the same plaintext collapse onto
 * one row through the unique key. Returns false for such a duplicate. An event some
 * processor handles by a deadline gets its deadline_at, so workers claim it first.
 */
export async function journalCallback(
  dataSource: DataSource,
  plaintext: string,
  receivedAt = new Date(),
  { fields = parseXml(plaintext) ?? {}, deadlines = processorDeadlines }: JournalOptions = {},
): Promise<boolean> {
  const { event, changeType } = eventNames(fields)
  const at = utcText(receivedAt)
  const deadlineMs = deadlines.deadlineMs(event, changeType)
  const deadlineAt = deadlineMs === null ? null : utcText(new Date(receivedAt.getTime() + deadlineMs))
  const row: Row = [dedupeKey(plaintext), plaintext, event.slice(0, 64), changeType.slice(0, 64), at, at, deadlineAt]
  const pool = mysqlPool(dataSource)
  if (pool) {
    let journal = mysqlJournals.get(dataSource)
    if (!journal) {
      // The driver's own pool: this runs before every callback's answer, and the query
      // runner's per-call work (and mysql2's promise wrapper) would add to it.
      journal = new MysqlJournal(pool)
      mysqlJournals.set(dataSource, journal)
    }
    return journal.write(row)
  }
  const inserted: unknown[] = await dataSource.query(INSERT_SQLITE, row)
  return inserted.length > 0
}
