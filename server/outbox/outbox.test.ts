import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migratedDatabase } from '../../test/database'
import { OutboxMessage } from '../entities'
import { deliverOnce } from './outbox'

describe('the outbox', () => {
  let database: Awaited<ReturnType<typeof migratedDatabase>>
  beforeEach(async () => {
    database = await migratedDatabase()
  })
  afterEach(async () => database.cleanup())

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
    await database.dataSource.getRepository(OutboxMessage).insert({ ...key, status: 'sending', claimedBy: 'elsewhere:77:1:cc', attempts: 1, payload: JSON.stringify('as planned at 09:00'), leaseUntil: new Date(Date.now() + 60_000), createdAt: new Date() })
    const sent: string[] = []
    const send = async (payload: string) => (sent.push(payload), 'sent' as const)
    expect((await deliverOnce(database.dataSource, key, 'as planned now', send, 'host-b:2:1:bb')).outcome).toBe('already')
    await database.dataSource.getRepository(OutboxMessage).update(key, { leaseUntil: new Date(Date.now() - 1) })
    expect((await deliverOnce(database.dataSource, key, 'as planned now', send, 'host-b:2:1:bb')).outcome).toBe('sent')
    // The same bytes as the first attempt: WeCom's duplicate check drops it if that one did arrive.
    expect(sent).toEqual(['as planned at 09:00'])
  })
})
