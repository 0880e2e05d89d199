import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migratedDatabase } from '../../test/database'
import { OutboxMessage } from '../entities'
import { deliverAll, deliverOnce, type DeliveryKey } from './outbox'

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

  it('of two runs delivering the same 250 messages at once in one process, each message is sent once', async () => {
    const items = Array.from({ length: 250 }, (_, i) => ({ key: { job: 'daily-digest', businessDate: '2026-11-23', recipient: `todo:m${i}` }, message: `card ${i}` }))
    const sent: string[] = []
    const send = async (message: string) => {
      sent.push(message)
      await new Promise((resolve) => setTimeout(resolve, 1))
      return 'sent' as const
    }
    const runs = await Promise.all([1, 2].map(() => deliverAll(database.dataSource, items, send, { owner: 'host-a:1:1:aa', concurrency: 4 })))
    expect(sent.sort()).toEqual(items.map((item) => item.message).sort())
    // Per key, one run sent it and the other found it taken.
    for (let i = 0; i < items.length; i++) expect([runs[0]![i]!.outcome, runs[1]![i]!.outcome].sort()).toEqual(['already', 'sent'])
    expect(await database.dataSource.getRepository(OutboxMessage).countBy({ status: 'sent' })).toBe(250)
  })

  it('sends a key a run repeats once, and hands send the item it came with', async () => {
    const key = { job: 'loss-alert', businessDate: '2026-11-23', recipient: 'seller@event7' }
    const sentTo: string[] = []
    const deliveries = await deliverAll(
      database.dataSource,
      [{ key, message: 'card', userid: 'seller' }, { key, message: 'card', userid: 'seller' }],
      async (_message, { userid }) => (sentTo.push(userid), 'sent' as const),
      { owner: 'host-a:1:1:aa', concurrency: 2 },
    )
    expect(deliveries.map((d) => d.outcome)).toEqual(['sent', 'already'])
    expect(sentTo).toEqual(['seller'])
  })

  it('sends only what is pending or failed; what is sent, invalid or held by a live sender is left alone', async () => {
    const key = (recipient: string): DeliveryKey => ({ job: 'daily-digest', businessDate: '2026-11-23', recipient })
    const outbox = database.dataSource.getRepository(OutboxMessage)
    const row = (recipient: string, status: string, extra = {}) => ({ ...key(recipient), status, attempts: 1, payload: JSON.stringify(`${recipient} as first planned`), createdAt: new Date(), ...extra })
    await outbox.insert([
      row('sent', 'sent'),
      row('invalid', 'invalid'),
      row('failed', 'failed'),
      row('held', 'sending', { claimedBy: `elsewhere:77:1:cc:dd`, leaseUntil: new Date(Date.now() + 60_000) }),
    ])
    const sent: string[] = []
    const deliveries = await deliverAll(
      database.dataSource,
      ['sent', 'invalid', 'failed', 'held', 'new'].map((recipient) => ({ key: key(recipient), message: `${recipient} as planned now` })),
      async (message) => (sent.push(message), 'sent' as const),
      { owner: 'host-b:2:1:bb' },
    )
    expect(deliveries.map((d) => [d.key.recipient, d.outcome])).toEqual([['sent', 'already'], ['invalid', 'already'], ['failed', 'sent'], ['held', 'already'], ['new', 'sent']])
    expect(sent).toEqual(['failed as first planned', 'new as planned now'])
  })

  it('once the signal is aborted, records and sends nothing more, and says which were not tried', async () => {
    const items = Array.from({ length: 150 }, (_, i) => ({ key: { job: 'daily-digest', businessDate: '2026-11-23', recipient: `todo:m${i}` }, message: i }))
    const stop = new AbortController()
    const deliveries = await deliverAll(database.dataSource, items, async (message) => {
      // The run loses its claim while its first slice is being sent: that slice, claimed, still goes.
      if (message === 0) stop.abort()
      return 'sent' as const
    }, { owner: 'host-a:1:1:aa', signal: stop.signal })
    expect(deliveries.filter((d) => d.outcome === 'sent')).toHaveLength(100)
    expect(deliveries.filter((d) => d.outcome === 'stopped')).toHaveLength(50)
    expect(await database.dataSource.getRepository(OutboxMessage).count()).toBe(100)
  })
})
