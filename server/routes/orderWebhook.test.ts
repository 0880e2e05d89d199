import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { Customer, Order, OrderItem } from '../entities'
import { createSource, rotateSecret, signRequest } from '../orders/sources'
import { errorBody } from '../../test/app'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'
import type { OrderResult } from './orderWebhook'

let harness: WecomHarness
let secret: string
beforeAll(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  secret = await createSource(harness.dataSource.manager, { name: 'shop-a', platform: 'tmall' })
})
afterAll(() => harness.cleanup())
afterEach(() => vi.useRealTimers())

let sequence = 0
/** A valid order with a new order number; any field can be overridden. */
const order = (overrides: Record<string, unknown> = {}) => ({
  order_no: `HOOK${String(++sequence).padStart(5, '0')}`,
  status: 'paid',
  paid_at: '2026-03-01 14:30:00',
  amount: '199.00',
  items: [{ name: '防晒霜', quantity: 2 }],
  external_userid: 'wmXiaomei',
  ...overrides,
})

const nowSeconds = () => String(Math.floor(Date.now() / 1000))

interface Signed {
  body: string | Buffer
  headers: Record<string, string>
}

function sign(body: string | Buffer, { key = secret, timestamp = nowSeconds() }: { key?: string; timestamp?: string } = {}): Signed {
  return { body, headers: { 'content-type': 'application/json', 'x-scrm-timestamp': timestamp, 'x-scrm-signature': signRequest(key, timestamp, body) } }
}

const post = ({ body, headers }: Signed, source = 'shop-a') =>
  fetch(`${harness.server!.url}/api/integrations/orders/${source}`, { method: 'POST', body, headers })

async function results(response: Response): Promise<OrderResult[]> {
  expect(response.status, await response.clone().text()).toBe(200)
  return ((await response.json()) as { results: OrderResult[] }).results
}

const stored = (orderNo: string) => harness.dataSource.getRepository(Order).findOneBy({ platform: 'tmall', orderNo })
const orderCount = () => harness.dataSource.getRepository(Order).count()
const customerId = async (externalUserid: string) => (await harness.dataSource.getRepository(Customer).findOneByOrFail({ externalUserid })).id

describe(`POST /api/integrations/orders/:source on ${testDatabaseKind}`, () => {
  it('saves a signed order, matched to its customer, items and amount included', async () => {
    const sent = order({ amount: 1234.5, items: [{ name: '防晒霜', quantity: 2 }, { name: '口红 3*5g', quantity: 1 }] })
    const before = await orderCount()
    expect(await results(await post(sign(JSON.stringify({ orders: [sent] }))))).toEqual([{ order_no: sent.order_no, result: 'inserted', matched: true }])

    expect(await orderCount()).toBe(before + 1)
    const saved = (await stored(sent.order_no))!
    expect(saved).toMatchObject({ status: 'paid', amountCents: 123450, customerId: await customerId('wmXiaomei'), source: 'webhook:shop-a' })
    // 14:30 in Asia/Shanghai.
    expect(saved.paidAt!.toISOString()).toBe('2026-03-01T06:30:00.000Z')
    const items = await harness.dataSource.getRepository(OrderItem).find({ where: { orderId: saved.id }, order: { lineNo: 'ASC' } })
    expect(items.map((i) => [i.name, i.quantity])).toEqual([['防晒霜', 2], ['口红 3*5g', 1]])
  })

  it('accepts the signature with a sha256= prefix, in upper-case hex', async () => {
    const signed = sign(JSON.stringify({ orders: [order()] }))
    signed.headers['x-scrm-signature'] = `sha256=${signed.headers['x-scrm-signature']!.toUpperCase()}`
    expect((await results(await post(signed)))[0]!.result).toBe('inserted')
  })

  it('answers each order on its own, in request order: the valid are saved, the invalid reported', async () => {
    const unmatched = order({ external_userid: undefined, buyer_id: 'tb-nobody-known' })
    const byPhone = order({ external_userid: null, phone: '+86 138-0000-0001' })
    // [sent, result, matched, a part of the reason]
    const cases: [unknown, OrderResult['result'], boolean, string?][] = [
      [order({ status: 'lost' }), 'rejected', false, 'status "lost"'],
      [order({ paid_at: '2026-03-01T06:30:00Z' }), 'inserted', true],
      [order({ platform: 'jd' }), 'rejected', false, 'platform "jd"'],
      // Names are taken as they are: "*" and "|" mean nothing in JSON.
      [order({ items: [{ name: '赠品*1|面膜', quantity: 2 }] }), 'inserted', true],
      [unmatched, 'inserted', false],
      [order({ amount: '12.345' }), 'rejected', false, 'amount'],
      [order({ items: [{ name: '面膜', quantity: 0 }] }), 'rejected', false, 'quantity 0'],
      [{ order_no: 12345, status: 'paid' }, 'rejected', false, 'order_no'],
      ['not an order', 'rejected', false, 'expected object'],
      [order({ external_userid: undefined }), 'rejected', false, 'no identity'],
      [byPhone, 'inserted', true],
      [order({ paid_at: '2026-02-30 10:00:00' }), 'rejected', false, 'not a real date'],
    ]
    const before = await orderCount()
    const answer = await results(await post(sign(JSON.stringify({ orders: cases.map(([sent]) => sent) }))))

    expect(answer).toEqual(
      cases.map(([sent, result, matched, reason]) => ({
        order_no: typeof (sent as { order_no?: unknown }).order_no === 'string' ? (sent as { order_no: string }).order_no : null,
        result,
        matched,
        ...(reason ? { reason: expect.stringContaining(reason) } : {}),
      })),
    )
    expect(await orderCount()).toBe(before + 4)
    expect((await stored(byPhone.order_no))!.customerId).toBe(await customerId('wmXiaomei'))
    expect((await stored(unmatched.order_no))!.customerId).toBeNull()
  })

  it('an order_no repeated in one request: the last one wins, the later answers say updated', async () => {
    const first = order({ status: 'paid' })
    const answer = await results(await post(sign(JSON.stringify({ orders: [first, { ...first, status: 'shipped' }] }))))
    expect(answer.map((r) => r.result)).toEqual(['inserted', 'updated'])
    expect((await stored(first.order_no))!.status).toBe('shipped')
  })

  it('is idempotent on (platform, order_no): sending an order again updates it, and creates nothing', async () => {
    const sent = order()
    await results(await post(sign(JSON.stringify({ orders: [sent] }))))
    const before = await orderCount()
    const again = await results(await post(sign(JSON.stringify({ orders: [{ ...sent, status: 'refunded', items: [{ name: '退货', quantity: 1 }] }] }))))
    expect(again).toEqual([{ order_no: sent.order_no, result: 'updated', matched: true }])
    expect(await orderCount()).toBe(before)
    const saved = (await stored(sent.order_no))!
    expect(saved.status).toBe('refunded')
    expect((await harness.dataSource.getRepository(OrderItem).findBy({ orderId: saved.id })).map((i) => i.name)).toEqual(['退货'])
  })

  it('accepts a replay of the same signed request within the window, and refuses it after', async () => {
    const signed = sign(JSON.stringify({ orders: [order(), order()] }))
    expect((await results(await post(signed))).map((r) => r.result)).toEqual(['inserted', 'inserted'])
    const before = await orderCount()

    expect((await results(await post(signed))).map((r) => r.result)).toEqual(['updated', 'updated'])
    expect(await orderCount()).toBe(before)

    // Only Date is faked: the server runs in this process, so it sees the clock move on.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 5 * 60_000 + 2_000)
    const late = await post(signed)
    expect(late.status).toBe(401)
    expect((await errorBody(late)).message).toContain('X-Scrm-Timestamp')
    expect(await orderCount()).toBe(before)
  })

  it('does not let an older request, retried or replayed late, set an order back', async () => {
    const sent = order()
    const t = Math.floor(Date.now() / 1000)
    const older = sign(JSON.stringify({ orders: [{ ...sent, status: 'paid' }] }), { timestamp: String(t - 60) })
    const newer = sign(JSON.stringify({ orders: [{ ...sent, status: 'refunded' }] }), { timestamp: String(t - 10) })
    expect((await results(await post(newer)))[0]!.result).toBe('inserted')
    expect((await results(await post(older)))[0]).toMatchObject({ result: 'stale', matched: true })
    expect((await stored(sent.order_no))!.status).toBe('refunded')
    // The newer request itself again (a retry) is applied: same time, same data.
    expect((await results(await post(newer)))[0]!.result).toBe('updated')
  })

  describe('refuses, writing nothing', () => {
    const body = () => JSON.stringify({ orders: [order()] })
    const minutes = (n: number) => String(Math.floor(Date.now() / 1000) + n * 60)
    const cases: [string, () => Signed, number, string][] = [
      ['a wrong signature', () => ({ ...sign(body()), headers: { ...sign(body()).headers, 'x-scrm-signature': 'ab'.repeat(32) } }), 401, 'does not match'],
      ['a signature made with another secret', () => sign(body(), { key: 'not-the-secret-of-shop-a-0123456789abcdefg' }), 401, 'does not match'],
      ['a body changed after signing', () => ({ ...sign(body()), body: body() }), 401, 'does not match'],
      ['no timestamp', () => { const s = sign(body()); delete s.headers['x-scrm-timestamp']; return s }, 401, 'X-Scrm-Timestamp is missing'],
      ['no signature', () => { const s = sign(body()); delete s.headers['x-scrm-signature']; return s }, 401, 'X-Scrm-Signature is missing'],
      ['a timestamp in milliseconds', () => sign(body(), { timestamp: String(Date.now()) }), 401, 'unix seconds'],
      ['a signature that is not hex', () => ({ ...sign(body()), headers: { ...sign(body()).headers, 'x-scrm-signature': 'x'.repeat(64) } }), 401, '64 hex digits'],
      ['a timestamp 6 minutes old', () => sign(body(), { timestamp: minutes(-6) }), 401, 'behind our clock'],
      ['a timestamp 6 minutes ahead', () => sign(body(), { timestamp: minutes(6) }), 401, 'ahead of our clock'],
      ['a body that is not JSON', () => sign('orders=1'), 400, 'not UTF-8 JSON'],
      ['a body that is not UTF-8', () => sign(Buffer.from([0x7b, 0xff, 0x7d])), 400, 'not UTF-8 JSON'],
      ['a body without orders', () => sign(JSON.stringify([order()])), 400, '{"orders": [...]}'],
      ['zero orders', () => sign(JSON.stringify({ orders: [] })), 400, 'at least one order'],
      ['501 orders', () => sign(JSON.stringify({ orders: Array.from({ length: 501 }, () => order()) })), 400, 'at most 500'],
      ['a body over 1 MB', () => sign(JSON.stringify({ orders: [order({ note: 'x'.repeat(1024 * 1024) })] })), 413, '1 MB'],
    ]
    it.each(cases)('%s', async (_, build, status, message) => {
      const before = await orderCount()
      const response = await post(build())
      expect(response.status).toBe(status)
      const error = await errorBody(response)
      expect(error.message).toContain(message)
      expect(await orderCount()).toBe(before)
    })

    it('an unknown source, with the same error shape', async () => {
      const response = await post(sign(body()), 'shop-nope')
      expect(response.status).toBe(404)
      expect(await errorBody(response)).toEqual({ id: 'not_found', message: expect.stringContaining('shop-nope') })
    })

    it('the old secret once the source is rotated', async () => {
      await createSource(harness.dataSource.manager, { name: 'shop-rotated', platform: 'tmall' })
      const old = await rotateSecret(harness.dataSource.manager, 'shop-rotated')
      const fresh = await rotateSecret(harness.dataSource.manager, 'shop-rotated')
      expect((await post(sign(body(), { key: old }), 'shop-rotated')).status).toBe(401)
      expect((await results(await post(sign(body(), { key: fresh }), 'shop-rotated')))[0]!.result).toBe('inserted')
    })
  })

  it('never answers with the secret or the signature', async () => {
    const signed = sign(JSON.stringify({ orders: [order(), order({ status: 'lost' })] }))
    const texts = [await (await post(signed)).text(), await (await post({ ...signed, headers: { ...signed.headers, 'x-scrm-timestamp': '1' } })).text()]
    for (const text of texts) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(signed.headers['x-scrm-signature'])
    }
  })
})
