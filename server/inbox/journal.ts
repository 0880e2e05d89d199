import { createHash } from 'node:crypto'
import type { DataSource } from 'typeorm'
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
  const result = await dataSource
    .createQueryBuilder()
    .insert()
    .updateEntity(false)
    .into(InboxEvent)
    .values({
      dedupeKey: dedupeKey(plaintext),
      plaintext,
      event: event.slice(0, 64),
      changeType: changeType.slice(0, 64),
      status: 'pending',
      attempts: 0,
      nextAttemptAt: receivedAt,
      receivedAt,
    })
    .orIgnore()
    .execute()
  return (result.raw?.affectedRows ?? result.raw?.changes ?? 1) > 0
}
