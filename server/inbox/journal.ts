import { createHash } from 'node:crypto'
import type { DataSource } from 'typeorm'
import { isMysql, query } from '../db/sql'
import { InboxEvent } from '../entities'
import { eventNames } from '../wecom/events'
import { parseXml } from '../wecom/xml'

export const dedupeKey = (plaintext: string) => createHash('sha256').update(plaintext, 'utf8').digest('hex')

/**
 * Journals a decrypted callback; WeCom's re-deliveries of the same plaintext collapse onto
 * one row through the unique key. Returns false for such a duplicate.
 */
export async function journalCallback(dataSource: DataSource, plaintext: string, receivedAt = new Date()): Promise<boolean> {
  const { event, changeType } = eventNames(parseXml(plaintext) ?? {})
  const row = {
    dedupeKey: dedupeKey(plaintext),
    plaintext,
    event: event.slice(0, 64),
    changeType: changeType.slice(0, 64),
    receivedAt,
  }
  if (isMysql(dataSource.manager)) {
    const result = await dataSource
      .createQueryBuilder()
      .insert()
      .updateEntity(false)
      .into(InboxEvent)
      .values({ ...row, status: 'pending', attempts: 0, nextAttemptAt: receivedAt })
      .orIgnore()
      .execute()
    return Number(result.raw?.affectedRows) > 0
  }
  // SQLite reports the last rowid, not whether this insert happened: RETURNING says so.
  const inserted = await query(
    dataSource.manager,
    `INSERT INTO inbox_events (dedupe_key, plaintext, event, change_type, status, attempts, next_attempt_at, received_at)
     VALUES (:dedupeKey, :plaintext, :event, :changeType, 'pending', 0, :receivedAt, :receivedAt)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    row,
  )
  return inserted.length > 0
}
