import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migratedDatabase, testDatabaseKind } from '../../test/database'
import { CredentialStore, type FetchedCredential } from './credentials'

type Database = Awaited<ReturnType<typeof migratedDatabase>>

const HOUR = 3_600_000
const MARGIN = 5 * 60_000

let database: Database
let now: number
let fetched: number
let store: CredentialStore

/** A gettoken that counts its calls and hands out a new token each time, as WeCom does after expiry. */
const issueToken = async (): Promise<FetchedCredential> => ({ value: `token-${++fetched}`, expiresIn: 2 * 3600 })
const unused = () => Promise.reject(new Error('no ticket is asked for here'))

const newStore = () =>
  new CredentialStore(database.dataSource, { access_token: issueToken, jsapi_ticket: unused, agent_ticket: unused }, { scope: 'wwtest:1000002', refreshMarginMs: MARGIN, now: () => now })

beforeEach(async () => {
  database = await migratedDatabase()
  now = Date.parse('2026-12-03T08:00:00Z')
  fetched = 0
  store = newStore()
})
afterEach(() => database.cleanup())

describe(`credential store on ${testDatabaseKind}`, () => {
  it('answers from memory once it has a fresh value: the row is not read for every call', async () => {
    expect(await store.get('access_token')).toBe('token-1')
    // Were the row still read, the emptied table would make the store fetch again.
    await database.dataSource.query('DELETE FROM wecom_credentials')
    expect(await Promise.all([store.get('access_token'), store.get('access_token')])).toEqual(['token-1', 'token-1'])
    expect(fetched).toBe(1)
  })

  it('stops trusting its memory at the refresh margin, and takes what another process stored', async () => {
    await store.get('access_token')
    await newStore().get('access_token')
    expect(fetched).toBe(1)
    now += 2 * HOUR - MARGIN
    expect(await store.get('access_token')).toBe('token-2')
    // The other process remembered token-1 too; past the margin it reads token-2 from the row.
    const other = newStore()
    expect(await other.get('access_token')).toBe('token-2')
    expect(fetched).toBe(2)
  })

  it('forgets a value WeCom rejected, and keeps one another caller already replaced', async () => {
    await store.get('access_token')
    await store.invalidate('access_token', 'token-1')
    expect(await store.get('access_token')).toBe('token-2')
    await store.invalidate('access_token', 'token-1')
    expect(await store.get('access_token')).toBe('token-2')
    expect(fetched).toBe(2)
  })
})
