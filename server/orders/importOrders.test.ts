import { Readable } from 'node:stream'
import type { DataSource } from 'typeorm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migratedDatabase } from '../../test/database'
import { buildCustomer, buildIdentity } from '../../test/factories'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'
import { query } from '../db/sql'
import { Customer, CustomerIdentity, Order, OrderItem, OrderWait } from '../entities'
import { importOrders } from './importOrders'

const TZ = 'Asia/Shanghai'
const HEADER = 'platform,order_no,status,paid_at,amount,items,external_userid,unionid,phone,buyer_id'

/** What the tests' CSV rows name: five customers, the way a sync would have left them. */
async function buildCustomers(dataSource: DataSource): Promise<void> {
  for (let n = 1; n <= 5; n++) {
    const customer = await buildCustomer(dataSource, { externalUserid: `wmCustomer00${n}`, unionid: `oUnion00${n}` })
    await buildIdentity(dataSource, customer, { kind: 'unionid', value: `oUnion00${n}` })
    if (n === 1) await buildIdentity(dataSource, customer, { kind: 'phone', value: '13800000001', source: 'remark_mobile' })
  }
}

const run = (harness: { dataSource: DataSource }, csv: string) => importOrders(harness.dataSource, Readable.from([Buffer.from(csv, 'utf8')]), { timeZone: TZ })

const orderOf = async (harness: { dataSource: DataSource }, platform: string, orderNo: string) => {
  const [row] = await query<{ customer: string | null; status: string; amount_cents: number; paid_at: Date | string | null }>(
    harness.dataSource.manager,
    'SELECT c.external_userid AS customer, o.status, o.amount_cents, o.paid_at FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.platform = :platform AND o.order_no = :orderNo',
    { platform, orderNo },
  )
  return row
}

describe('npm run import -- orders', () => {
  let harness: Awaited<ReturnType<typeof migratedDatabase>>
  beforeEach(async () => {
    harness = await migratedDatabase()
    await buildCustomers(harness.dataSource)
  })
  afterEach(async () => harness.cleanup())

  it('reads BOM and RFC 4180 quoting, and stores items, amounts and times in the business zone', async () => {
    const csv = `\uFEFF${HEADER}\r\n` + `jd,"JD-1",paid,2026-11-01 10:00:00,1234.5,"口红, 正红色*2|""小样""*1",wmCustomer001,,,\r\n` + `jd,JD-2,completed,2026-11-02T08:00:00+08:00,99,面膜*3,wmCustomer002,,,\r\n`
    expect(await run(harness, csv)).toEqual({ inserted: 2, updated: 0, unmatched: 0, matchedAfter: 0, rejected: 0, rejections: [] })
    const first = await orderOf(harness, 'jd', 'JD-1')
    expect(first).toMatchObject({ customer: 'wmCustomer001', status: 'paid' })
    expect(Number(first!.amount_cents)).toBe(123_450)
    const paidAt = first!.paid_at instanceof Date ? first!.paid_at : new Date(`${first!.paid_at!.replace(' ', 'T')}Z`)
    expect(paidAt.toISOString()).toBe('2026-11-01T02:00:00.000Z')
    const items = await query<{ name: string; quantity: number }>(
      harness.dataSource.manager,
      "SELECT i.name, i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.platform = 'jd' ORDER BY o.order_no, i.line_no",
    )
    expect(items.map((i) => [i.name, Number(i.quantity)])).toEqual([['口红, 正红色', 2], ['"小样"', 1], ['面膜', 3]])
  })

  it('rejects bad rows by line with the reason, and writes nothing of them', async () => {
    const csv = [
      HEADER,
      'jd,OK-1,paid,2026-11-01 10:00:00,10,,wmCustomer001,,,',
      'jd,BAD-1,lost,2026-11-01 10:00:00,10,,wmCustomer001,,,',
      'jd,BAD-2,paid,2026-02-30 10:00:00,10,,wmCustomer001,,,',
      'jd,BAD-3,paid,2026-11-01 10:00:00,-5,,wmCustomer001,,,',
      'jd,BAD-4,paid,2026-11-01 10:00:00,10,,,,,',
      'jd,BAD-5,paid,2026-11-01 10:00:00,10,口红,wmCustomer001,,,',
      'jd,BAD-6,paid',
      ',BAD-7,paid,2026-11-01 10:00:00,10,,wmCustomer001,,,',
      'jd,BAD-8,paid,2026-11-01 25:61:99,10,,wmCustomer001,,,',
    ].join('\n')
    const summary = await run(harness, csv)
    expect(summary.inserted).toBe(1)
    expect(summary.rejections).toEqual([
      { line: 3, reason: 'status "lost" is not one of paid|shipped|completed|refunded|cancelled' },
      { line: 4, reason: 'paid_at "2026-02-30 10:00:00" is not a real date' },
      { line: 5, reason: 'amount "-5" is not yuan like 123.45' },
      { line: 6, reason: 'no identity: external_userid, unionid, phone or buyer_id is needed' },
      { line: 7, reason: 'item "口红" is not name*quantity' },
      { line: 8, reason: '3 fields where the header has 10' },
      { line: 9, reason: 'platform is empty' },
      { line: 10, reason: 'paid_at "2026-11-01 25:61:99" is neither ISO 8601 nor YYYY-MM-DD HH:mm:ss' },
    ])
    expect(await harness.dataSource.getRepository(Order).countBy({ source: 'import' })).toBe(1)
  })

  it('is idempotent: a re-import updates, a repeated row updates, nothing is duplicated', async () => {
    const csv = [HEADER, 'jd,R-1,paid,2026-11-01 10:00:00,10,面膜*1,wmCustomer001,,,', 'jd,R-2,paid,2026-11-01 10:00:00,20,面膜*2|口红*1,wmCustomer002,,,', 'jd,R-1,shipped,2026-11-01 10:00:00,10,面膜*1,wmCustomer001,,,'].join('\n')
    expect(await run(harness, csv)).toMatchObject({ inserted: 2, updated: 1 })
    expect((await orderOf(harness, 'jd', 'R-1'))!.status).toBe('shipped')
    const before = await harness.dataSource.getRepository(OrderItem).count()
    expect(await run(harness, csv)).toMatchObject({ inserted: 0, updated: 3 })
    expect(await harness.dataSource.getRepository(Order).countBy({ source: 'import' })).toBe(2)
    expect(await harness.dataSource.getRepository(OrderItem).count()).toBe(before)
    // New items replace the old ones.
    await run(harness, [HEADER, 'jd,R-2,paid,2026-11-01 10:00:00,20,防晒霜*3,wmCustomer002,,,'].join('\n'))
    const items = await query<{ name: string; quantity: number }>(
      harness.dataSource.manager,
      "SELECT i.name, i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.order_no = 'R-2' ORDER BY i.line_no",
    )
    expect(items.map((i) => [i.name, Number(i.quantity)])).toEqual([['防晒霜', 3]])
  })

  it('matches by external_userid, else unionid, else a bound buyer id, else a remark mobile', async () => {
    // Unionids and a remark mobile are bound (as a sync binds them); a buyer id is bound by a matched order that carries it.
    const csv = [
      HEADER,
      'tmall,M-1,paid,2026-11-01 10:00:00,10,,wmCustomer003,oUnion004,13800000001,',
      'tmall,M-2,paid,2026-11-01 10:00:00,10,,,oUnion004,13800000001,',
      'tmall,M-3,paid,2026-11-01 10:00:00,10,,,oUnion005,,buyer-55',
      'tmall,M-4,paid,2026-11-01 10:00:00,10,,,,138 0000 0001,',
      'tmall,M-5,paid,2026-11-01 10:00:00,10,,wmNobody,,,',
    ].join('\n')
    expect(await run(harness, csv)).toMatchObject({ inserted: 5, unmatched: 1 })
    expect((await orderOf(harness, 'tmall', 'M-1'))!.customer).toBe('wmCustomer003')
    expect((await orderOf(harness, 'tmall', 'M-2'))!.customer).toBe('wmCustomer004')
    expect((await orderOf(harness, 'tmall', 'M-4'))!.customer).toBe('wmCustomer001')
    expect((await orderOf(harness, 'tmall', 'M-5'))!.customer).toBeNull()

    // buyer-55 is now bound to customer 5 on tmall: an order with only that buyer id matches.
    expect(await run(harness, [HEADER, 'tmall,M-6,paid,2026-11-01 10:00:00,10,,,,,buyer-55', 'jd,M-7,paid,2026-11-01 10:00:00,10,,,,,buyer-55'].join('\n'))).toMatchObject({ unmatched: 1 })
    expect((await orderOf(harness, 'tmall', 'M-6'))!.customer).toBe('wmCustomer005')
    // A buyer id is bound per platform.
    expect((await orderOf(harness, 'jd', 'M-7'))!.customer).toBeNull()
  })

  it('matches, in the sweep after an import, a waiting order whose binding raced past it', async () => {
    await run(harness, [HEADER, 'jd,RACE-1,paid,2026-11-01 10:00:00,10,,,,,buyer-race'].join('\n'))
    // Another writer bound the buyer id without looking at waiting orders (it ran beside us).
    const customer = await harness.dataSource.getRepository(Customer).findOneByOrFail({ externalUserid: 'wmCustomer002' })
    await harness.dataSource.getRepository(CustomerIdentity).insert({ customerId: customer.id, kind: 'buyer_id', platform: 'jd', value: 'buyer-race', source: 'manual', createdAt: new Date() })
    expect((await orderOf(harness, 'jd', 'RACE-1'))!.customer).toBeNull()
    expect(await run(harness, [HEADER, 'jd,OTHER-1,paid,2026-11-01 10:00:00,10,,wmCustomer001,,,'].join('\n'))).toMatchObject({ inserted: 1, unmatched: 0, matchedAfter: 1 })
    expect((await orderOf(harness, 'jd', 'RACE-1'))!.customer).toBe('wmCustomer002')
    expect(await harness.dataSource.getRepository(OrderWait).count()).toBe(0)
  })
})

describe('npm run import -- orders, then WeCom', () => {
  let harness: WecomHarness
  beforeEach(async () => {
    harness = await startWecomHarness({ synced: true, serve: true })
  })
  afterEach(async () => harness.cleanup())

  it('keeps unmatched orders and matches them when the customer or a binding appears', async () => {
    await run(harness, [HEADER, 'jd,L-1,paid,2026-11-01 10:00:00,10,,wmLateCustomer,,,', 'jd,L-2,paid,2026-11-01 10:00:00,10,,,,13912345678,'].join('\n'))
    expect((await orderOf(harness, 'jd', 'L-1'))!.customer).toBeNull()
    // The customer adds a member in WeCom; the callback's handler reads them, with a remark mobile.
    await harness.simulator.customerAddsMember({ userid: 'colleague', customer: { external_userid: 'wmLateCustomer', name: '新客' }, remarkMobiles: ['13912345678'] })
    await harness.drainInbox()
    expect((await orderOf(harness, 'jd', 'L-1'))!.customer).toBe('wmLateCustomer')
    expect((await orderOf(harness, 'jd', 'L-2'))!.customer).toBe('wmLateCustomer')
  })
})
