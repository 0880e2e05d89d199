import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migratedDatabase } from '../../test/database'
import { claimRun, LEASE_MS } from './runClaims'

describe('run claims', () => {
  let database: Awaited<ReturnType<typeof migratedDatabase>>
  beforeEach(async () => {
    database = await migratedDatabase()
  })
  afterEach(async () => database.cleanup())

  it('one claim per job and date; a live one is refused, a lapsed one taken over, and its holder told', async () => {
    const t0 = new Date('2026-11-23T01:00:00Z')
    const first = await claimRun(database.dataSource, 'daily-digest', '2026-11-23', { now: t0, owner: 'host-a:1:aa' })
    if (!('claim' in first)) throw new Error('the first claim should win')
    expect(await claimRun(database.dataSource, 'daily-digest', '2026-11-23', { now: t0, owner: 'host-b:2:bb' })).toMatchObject({ refused: 'running', by: 'host-a:1:aa' })
    // Another date is another run.
    expect(await claimRun(database.dataSource, 'daily-digest', '2026-11-24', { now: t0, owner: 'host-b:2:bb' })).toHaveProperty('claim')

    const lapsed = new Date(t0.getTime() + LEASE_MS + 1)
    const second = await claimRun(database.dataSource, 'daily-digest', '2026-11-23', { now: lapsed, owner: 'host-b:2:bb' })
    expect(second).toHaveProperty('claim')
    // The first holder learns at its next renewal that the run is no longer its own.
    expect(await first.claim.renew(lapsed)).toBe(false)
    if (!('claim' in second)) throw new Error('unreachable')
    expect(await second.claim.renew(lapsed)).toBe(true)
  })

  it('a done run is refused to the scheduler and taken again by hand; a failed one is taken again', async () => {
    const done = await claimRun(database.dataSource, 'reconcile', '2026-11-23', { owner: 'host-a:1:aa' })
    if (!('claim' in done)) throw new Error('should claim')
    await done.claim.finish('done', 'ok')
    expect(await claimRun(database.dataSource, 'reconcile', '2026-11-23', { owner: 'host-b:2:bb' })).toMatchObject({ refused: 'done' })
    const byHand = await claimRun(database.dataSource, 'reconcile', '2026-11-23', { owner: 'host-b:2:bb', rerunDone: true })
    if (!('claim' in byHand)) throw new Error('should claim')
    await byHand.claim.finish('failed', 'boom')
    expect(await claimRun(database.dataSource, 'reconcile', '2026-11-23', { owner: 'host-c:3:cc' })).toHaveProperty('claim')
  })
})
