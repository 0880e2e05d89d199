import { createHash } from 'node:crypto'
import type { DataSource } from 'typeorm'
import { isMysql } from '../db/sql'
import { eventNames } from '../wecom/events'
import { parseXml, type XmlObject } from '../wecom/xml'

export const dedupeKey = (plaintext: string) => createHash('sha256').update(plaintext, 'utf8').digest('hex')

const COLUMNS = "(dedupe_key, plaintext, event, change_type, status, attempts, next_attempt_at, received_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)"
const INSERT_MYSQL = `INSERT IGNORE INTO inbox_events ${COLUMNS}`
// SQLite reports the last rowid, not whether this insert happened: RETURNING says so.
const INSERT_SQLITE = `INSERT INTO inbox_events ${COLUMNS} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`

/** A UTC instant as both databases store DATETIME(3): '2026-11-23 05:02:08.256'. */
const utcText = (instant: Date) => instant.toISOString().slice(0, 23).replace('T', ' ')

interface MysqlPool {
  execute(sql: string, values: unknown[], done: (error: Error | null, result: { affectedRows: number }) => void): void
}

/**
 * Journals a decrypted callback; WeCom's re-deliveries of the same plaintext collapse onto
 * one row through the unique key. Returns false for such a duplicate. `fields` saves a
 * second parse when the caller already has the plaintext's elements.
 */
export async function journalCallback(
  dataSource: DataSource,
  plaintext: string,
  receivedAt = new Date(),
  fields: XmlObject = parseXml(plaintext) ?? {},
): Promise<boolean> {
  const { event, changeType } = eventNames(fields)
  const at = utcText(receivedAt)
  const values = [dedupeKey(plaintext), plaintext, event.slice(0, 64), changeType.slice(0, 64), at, at]
  if (isMysql(dataSource.manager)) {
    // This runs before every callback's answer: a prepared statement on the driver's own
    // pool, without the query runner's per-call work (nor the promise API's stack capture).
    const pool = (dataSource.driver as unknown as { pool: MysqlPool }).pool
    const result = await new Promise<{ affectedRows: number }>((resolve, reject) =>
      pool.execute(INSERT_MYSQL, values, (error, answer) => (error ? reject(error) : resolve(answer))),
    )
    return result.affectedRows > 0
  }
  const inserted: unknown[] = await dataSource.query(INSERT_SQLITE, values)
  return inserted.length > 0
}
