import { afterEach, describe, expect, it } from 'vitest'
import { InboxEvent } from '../entities'
import { migratedDatabase, rawText, testDatabaseKind } from '../../test/database'
import { dedupeKey, journalCallback } from './journal'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

describe(`inbox journal on ${testDatabaseKind}`, () => {
  it('keeps one row per plaintext and says which write was the duplicate', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    const plaintext = '<xml><Event><![CDATA[change_external_tag]]></Event><ChangeType>create</ChangeType><Id>et1</Id></xml>'
    expect(await journalCallback(dataSource, plaintext)).toBe(true)
    expect(await journalCallback(dataSource, plaintext)).toBe(false)
    expect(await journalCallback(dataSource, plaintext.replace('et1', 'et2'))).toBe(true)
    const rows = await dataSource.getRepository(InboxEvent).find({ order: { id: 'ASC' } })
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({ dedupeKey: dedupeKey(plaintext), event: 'change_external_tag', changeType: 'create', status: 'pending', attempts: 0 })
    expect(rows[0]!.nextAttemptAt.getTime()).toBe(rows[0]!.receivedAt.getTime())
  })

  it('stores the instant it was given, in UTC', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    const at = new Date('2026-11-23T09:30:00.123+08:00')
    await journalCallback(dataSource, '<xml><A>1</A></xml>', at)
    const [row] = await dataSource.getRepository(InboxEvent).find()
    expect(row!.receivedAt.toISOString()).toBe('2026-11-23T01:30:00.123Z')
    expect(await rawText(dataSource, 'inbox_events', 'received_at', row!.id)).toBe('2026-11-23 01:30:00.123')
  })
})

describe(`inbox journal under concurrent callbacks on ${testDatabaseKind}`, () => {
  it('tells each caller whether its row was new, when news and re-deliveries arrive together', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    const event = (n: number) => `<xml><Event>change_external_tag</Event><ChangeType>update</ChangeType><Id>et${n}</Id></xml>`
    await journalCallback(dataSource, event(1))
    // Re-deliveries of an old event, four deliveries of a new one, and plain new ones, all at once.
    const plaintexts = [event(1), event(2), event(2), event(2), event(2), event(3), event(1), ...Array.from({ length: 30 }, (_, i) => event(10 + i))]
    const results = await Promise.all(plaintexts.map((plaintext) => journalCallback(dataSource, plaintext)))
    expect(results.slice(0, 7)).toEqual([false, true, false, false, false, true, false])
    expect(results.slice(7).every(Boolean)).toBe(true)
    expect(await dataSource.getRepository(InboxEvent).count()).toBe(1 + 2 + 30)
  })
})
