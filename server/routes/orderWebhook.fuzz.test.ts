import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabaseKind } from '../../test/database'
import { fieldValue, fuzzRuns, hostileText, jsonishBody, plainName, rowCounts, TimeBudget } from '../../test/fuzzBodies'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'
import { ORDER_STATUSES } from '../entities'
import { createSource, signRequest } from '../orders/sources'
import type { OrderResult } from './orderWebhook'

let harness: WecomHarness
let secret: string
beforeAll(async () => {
  harness = await startWecomHarness({ serve: true })
  secret = await createSource(harness.dataSource.manager, { name: 'shop-fuzz', platform: 'tmall' })
})
afterAll(() => harness.cleanup())

const TABLES = ['orders', 'order_items', 'order_waits', 'customer_identities'] as const
const counts = () => rowCounts(harness.dataSource, TABLES)
const nowSeconds = () => Math.floor(Date.now() / 1000)

const post = (body: Buffer, headers: Record<string, string>, source = 'shop-fuzz') =>
  fetch(`${harness.server!.url}/api/integrations/orders/${source}`, { method: 'POST', body, headers })

/** An order as the documentation describes it. */
const validOrder = fc.record(
  {
    order_no: fc.oneof(plainName(12), fc.constantFrom('W1', 'W2', ' W1 ')),
    status: fc.constantFrom(...ORDER_STATUSES),
    paid_at: fc.constantFrom(null, '2026-03-01 14:30:00', '2026-03-01T06:30:00Z', '2026-03-01T14:30:00+0800'),
    amount: fc.oneof(fc.constantFrom('199.00', '0', 12.5, 9_999_999_999.99), fc.integer({ min: 0, max: 1_000_000 })),
    items: fc.array(fc.record({ name: plainName(10), quantity: fc.integer({ min: 1, max: 999_999 }) }), { maxLength: 3 }),
    platform: fc.constantFrom('tmall', ' tmall ', null),
    external_userid: fc.constantFrom('wmXiaomei', 'wmNobody'),
    unionid: fc.constantFrom('oUnionChen', null),
    phone: fc.constantFrom('13800000001', '+86 138-0000-0001', null),
    buyer_id: plainName(12),
  },
  { requiredKeys: ['order_no', 'status', 'paid_at', 'amount', 'items', 'buyer_id'] },
)
/** An order as a careless or hostile shop sends it: a valid one with a few fields replaced by a wrong type or hostile text, or removed. */
const webhookOrder = fc.oneof(
  validOrder,
  fc
    .tuple(validOrder, fc.dictionary(fc.constantFrom('order_no', 'status', 'paid_at', 'amount', 'items', 'platform', 'unionid', 'phone', 'buyer_id', 'extra'), fieldValue(fc.constant(undefined)), { minKeys: 1, maxKeys: 3 }))
    .map(([order, changes]) => ({ ...order, ...changes })),
  fc.record({ items: fc.array(fc.record({ name: fieldValue(plainName(10)), quantity: fieldValue(fc.integer({ min: -2, max: 1_000_000 })) }), { maxLength: 3 }) }).chain(({ items }) => validOrder.map((order) => ({ ...order, items }))),
)
/** JSON with every non-ASCII character escaped, so that lone surrogates reach the server as text. */
const asciiJson = (value: unknown) => JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
const signedBody = fc.oneof(
  { weight: 2, arbitrary: fc.array(webhookOrder, { minLength: 0, maxLength: 6 }).map((orders) => JSON.stringify({ orders })) },
  { weight: 1, arbitrary: fc.array(webhookOrder, { minLength: 1, maxLength: 6 }).map((orders) => asciiJson({ orders })) },
  { weight: 1, arbitrary: jsonishBody(fc.array(webhookOrder, { maxLength: 3 }).map((orders) => ({ orders }))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 500 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
)

const budget = new TimeBudget(`order webhook on ${testDatabaseKind}`, 2_000, 20)

async function expectErrorBody(response: Response) {
  const body = (await response.json()) as { error?: { id?: unknown; message?: unknown } }
  expect(typeof body.error?.id).toBe('string')
  expect(typeof body.error?.message).toBe('string')
}

describe(`the order webhook under fuzzing, on ${testDatabaseKind}`, () => {
  it('refuses every request not correctly signed with 4xx and a clear error, and writes nothing', async () => {
    const tamper = fc.record({
      timestamp: fc.oneof(
        fc.constant(undefined),
        hostileText(20).filter((t) => /^[\x20-\x7e]*$/.test(t)),
        fc.integer({ min: -10_000, max: 10_000 }).map((skew) => String(nowSeconds() + skew)),
        fc.constantFrom(String(Date.now()), '0', '-1', '1e9', '999999999999', '0000000000001', ' 1 '),
      ),
      signature: fc.constantFrom('missing', 'random', 'short', 'otherKey', 'otherBody', 'flipped', 'prefixedOther', 'nonHex'),
      body: fc.oneof(signedBody, hostileText(200)),
      source: fc.constantFrom('shop-fuzz', 'shop-fuzz', 'nope', 'SHOP-FUZZ', 'shop-fuzz-'),
    })
    await fc.assert(
      fc.asyncProperty(tamper, fc.uint8Array({ minLength: 32, maxLength: 32 }), async ({ timestamp, signature, body, source }, noise) => {
        const bytes = Buffer.from(body, 'utf8')
        const ts = timestamp ?? String(nowSeconds())
        const right = signRequest(secret, ts, bytes)
        const wrong: Record<typeof signature, string | undefined> = {
          missing: undefined,
          random: Buffer.from(noise).toString('hex'),
          short: right.slice(0, 62),
          otherKey: signRequest(`${secret}x`, ts, bytes),
          otherBody: signRequest(secret, ts, Buffer.concat([bytes, Buffer.from(' ')])),
          flipped: right.slice(0, -1) + (right.endsWith('0') ? '1' : '0'),
          prefixedOther: `sha256=${signRequest(secret, `${ts}0`, bytes)}`,
          nonHex: `${right.slice(0, 63)}g`,
        }
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (timestamp !== undefined) headers['x-scrm-timestamp'] = timestamp
        if (wrong[signature] !== undefined) headers['x-scrm-signature'] = wrong[signature]!
        const before = await counts()
        const response = await budget.measure(bytes.length, () => post(bytes, headers, source))
        expect(response.status, await response.clone().text()).toBeGreaterThanOrEqual(400)
        expect(response.status).toBeLessThan(500)
        await expectErrorBody(response)
        expect(await counts()).toEqual(before)
      }),
      fuzzRuns(200),
    )
  })

  it('answers correctly signed random bodies with 2xx and one result per order, or 4xx writing nothing; never 5xx', async () => {
    const seen = { refused: 0, rejected: 0, saved: 0 }
    await fc.assert(
      fc.asyncProperty(signedBody, fc.integer({ min: -290, max: 290 }), fc.boolean(), async (body, skew, prefixed) => {
        const bytes = Buffer.from(body, 'utf8')
        const timestamp = String(nowSeconds() + skew)
        const signature = signRequest(secret, timestamp, bytes)
        const before = await counts()
        const response = await budget.measure(bytes.length, () =>
          post(bytes, { 'content-type': 'application/json', 'x-scrm-timestamp': timestamp, 'x-scrm-signature': prefixed ? `sha256=${signature.toUpperCase()}` : signature }),
        )
        const text = await response.clone().text()
        expect(response.status, text).toBeLessThan(500)
        if (response.status >= 400) {
          seen.refused++
          await expectErrorBody(response)
          expect(await counts()).toEqual(before)
          return
        }
        expect(response.status).toBe(200)
        const { results } = (await response.json()) as { results: OrderResult[] }
        const sent = (JSON.parse(body) as { orders: unknown[] }).orders
        expect(results).toHaveLength(sent.length)
        for (const result of results) {
          expect(['inserted', 'updated', 'stale', 'rejected']).toContain(result.result)
          if (result.result === 'rejected') expect(result.reason).toEqual(expect.any(String))
        }
        const saved = results.filter((r) => r.result !== 'rejected')
        seen.rejected += results.length - saved.length
        seen.saved += saved.length
        const after = await counts()
        // Only inserted orders add rows; every saved order is stored under its (trimmed) number.
        expect(after.orders - before.orders).toBe(new Set(results.filter((r) => r.result === 'inserted').map((r) => r.order_no!.trim())).size)
        if (saved.length === 0) expect(after).toEqual(before)
        for (const result of saved) {
          const [row] = await harness.dataSource.query('SELECT COUNT(*) AS n FROM orders WHERE platform = ? AND order_no = ?', ['tmall', result.order_no!.trim()])
          expect(Number(row.n), JSON.stringify(result)).toBe(1)
        }
      }),
      fuzzRuns(testDatabaseKind === 'mysql' ? 150 : 250),
    )
    // The generator must reach every outcome, or the property proves little.
    console.log('signed bodies:', seen)
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(0)
  })

  it('answers a lone surrogate in an order number with a rejection, not a 500', async () => {
    const body = Buffer.from(JSON.stringify({ orders: [{ order_no: 'W\ud800', status: 'paid', paid_at: null, amount: '1', items: [], buyer_id: 'b1' }] }).replace('\ud800', '\\ud800'))
    const timestamp = String(nowSeconds())
    const before = await counts()
    const response = await post(body, { 'content-type': 'application/json', 'x-scrm-timestamp': timestamp, 'x-scrm-signature': signRequest(secret, timestamp, body) })
    expect(response.status, await response.clone().text()).toBe(200)
    expect(((await response.json()) as { results: OrderResult[] }).results[0]).toMatchObject({ result: 'rejected', reason: expect.stringContaining('order_no') })
    expect(await counts()).toEqual(before)
  })

  it.sequential('reports its worst time', () => {
    console.log(budget.report())
  })
})
