import { afterEach, describe, expect, it } from 'vitest'
import { testDatabaseKind } from '../../test/database'
import { callsTo, startWecomHarness, type WecomHarness } from '../../test/wecom'
import type { SeedCompany } from '../../simulator'
import { fullSync, SyncInterrupted } from './fullSync'

let harness: WecomHarness | undefined
afterEach(async () => {
  await harness?.cleanup()
  harness = undefined
})

const PAGE_CALL = '/cgi-bin/externalcontact/batch/get_by_user'
const CHUNKS = 4
const PAGES_PER_CHUNK = 3

/**
 * Four chunks of 100 members (batch/get_by_user takes 100 a call), each chunk's members
 * following 300 customers: three full pages a chunk. Member k of a chunk follows customers
 * 3k, 3k + 1 and 3k + 2 of it.
 */
function company(): SeedCompany {
  const members = Array.from({ length: CHUNKS * 100 }, (_, i) => `m${String(i).padStart(3, '0')}`)
  const customers = CHUNKS * PAGES_PER_CHUNK * 100
  return {
    users: members.map((userid) => ({ userid, name: userid, department: [1], customerContact: true })),
    customers: Array.from({ length: customers }, (_, i) => ({ external_userid: `wmW${i}`, name: `客户${i}` })),
    follows: Array.from({ length: customers }, (_, i) => ({ userid: members[Math.floor(i / 3)]!, external_userid: `wmW${i}` })),
  }
}

const count = async (sql: string) => Number((await harness!.dataSource.query(sql))[0].n)

describe(`full sync's page writers on ${testDatabaseKind}`, () => {
  it('keeps every chunk’s progress and counts in the checkpoint when writes commit side by side', async () => {
    harness = await startWecomHarness({ seed: company() })
    // Stopped mid-way, with all four chunks fetching: on MySQL two transactions write at once.
    await expect(fullSync(harness.dataSource, harness.wecom.client, { stopAfterPages: 6, logger: harness.logger })).rejects.toBeInstanceOf(SyncInterrupted)
    const written = await count('SELECT COUNT(*) AS n FROM follow_relations')
    const [stored] = (await harness.dataSource.query("SELECT state FROM sync_checkpoints WHERE name = 'full-sync'")) as { state: string }[]
    const checkpoint = JSON.parse(stored!.state) as { cursors: Record<string, string>; customers: { created: number }; follows: { created: number } }
    // Counts merged from both writers' transactions, not the last one's view.
    expect([checkpoint.follows.created, checkpoint.customers.created]).toEqual([written, written])
    expect(written).toBe(6 * 100)

    // Every committed page is behind a stored cursor: the resumed sync fetches only the rest.
    const firstRunPages = callsTo(harness.simulator, PAGE_CALL).length
    const resumed = await fullSync(harness.dataSource, harness.wecom.client, { logger: harness.logger })
    expect(resumed).toMatchObject({ resumed: true, follows: { created: CHUNKS * PAGES_PER_CHUNK * 100 } })
    expect(callsTo(harness.simulator, PAGE_CALL).length - firstRunPages).toBe(CHUNKS * PAGES_PER_CHUNK - 6)
    expect(await count("SELECT COUNT(*) AS n FROM follow_relations WHERE status = 'active'")).toBe(CHUNKS * PAGES_PER_CHUNK * 100)
  })
})
