import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migratedDatabase } from '../../test/database'
import { JobDelivery } from '../entities'
import { claimRun, deliverOnce, LEASE_MS } from './runLedger'

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

  it('of two senders of one delivery, only one sends', async () => {
    const key = { job: 'loss-alert', businessDate: '2026-11-23', recipient: 'lisi@event1' }
    const sent: string[] = []
    const send = async (payload: string) => {
      sent.push(payload)
      await new Promise((resolve) => setTimeout(resolve, 30))
      return 'sent' as const
    }
    const outcomes = await Promise.all([deliverOnce(database.dataSource, key, 'card', send, 'host-a:1:1:aa'), deliverOnce(database.dataSource, key, 'card', send, 'host-a:1:1:aa')])
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['already', 'sent'])
    expect(sent).toEqual(['card'])
    expect((await deliverOnce(database.dataSource, key, 'card', send, 'host-a:1:1:aa')).outcome).toBe('already')
  })

  it('after a crash mid-send, sends the message as first recorded once its lease lapses', async () => {
    const key = { job: 'daily-digest', businessDate: '2026-11-23', recipient: 'digest:wanglei#1' }
    // A process recorded and claimed it, then died before marking it.
    await database.dataSource.getRepository(JobDelivery).insert({ ...key, status: 'sending', claimedBy: 'elsewhere:77:1:cc', attempts: 1, payload: 'as planned at 09:00', leaseUntil: new Date(Date.now() + 60_000), createdAt: new Date() })
    const sent: string[] = []
    const send = async (payload: string) => (sent.push(payload), 'sent' as const)
    expect((await deliverOnce(database.dataSource, key, 'as planned now', send, 'host-b:2:1:bb')).outcome).toBe('already')
    await database.dataSource.getRepository(JobDelivery).update(key, { leaseUntil: new Date(Date.now() - 1) })
    expect((await deliverOnce(database.dataSource, key, 'as planned now', send, 'host-b:2:1:bb')).outcome).toBe('sent')
    // The same bytes as the first attempt: WeCom's duplicate check drops it if that one did arrive.
    expect(sent).toEqual(['as planned at 09:00'])
  })
})
