import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { buildScriptLibrary, syncedCustomer } from '../../test/company'
import { buildOrder } from '../../test/factories'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'
import type { Panel } from '../api/contract'
import { ActivityLog, OrderWait } from '../entities'
import { importOrders } from '../orders/importOrders'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  await buildScriptLibrary(harness.dataSource)
  // What wmXiaomei bought before: 防晒霜, a week ago.
  await buildOrder(harness.dataSource, { customer: await syncedCustomer(harness.dataSource, 'wmXiaomei'), paidAt: new Date(Date.now() - 7 * 86_400_000), items: [{ name: '防晒霜', quantity: 1 }] })
  // Orders from a shop that carry nothing we know yet: a buyer id, an unknown phone.
  const csv = [
    'platform,order_no,status,paid_at,amount,items,external_userid,unionid,phone,buyer_id',
    'tmall,TB-100,completed,2026-11-01 10:00:00,520.00,香水*1,,,,tb-buyer-9',
    // Newer than wmXiaomei's order: it becomes her latest purchase.
    `tmall,TB-101,paid,${new Date(Date.now() - 60_000).toISOString()},80.00,面膜*2,,,,tb-buyer-9`,
    'jd,JD-555,paid,2026-11-21 10:00:00,30.00,口红*1,,,13700000000,',
    'jd,SAME-1,paid,2026-11-21 10:00:00,1.00,,,,13700000001,',
    'tmall,SAME-1,paid,2026-11-21 10:00:00,1.00,,,,13700000001,',
  ].join('\n')
  await importOrders(harness.dataSource, Readable.from([csv]), { timeZone: 'Asia/Shanghai' })
})
afterEach(() => harness.cleanup())

const bind = (api: (path: string, init?: RequestInit) => Promise<Response>, customer: string, body: unknown) =>
  api(`/api/customers/${customer}/bindings`, { method: 'POST', body: JSON.stringify(body) })
const panel = async (api: (path: string) => Promise<Response>, customer: string) => (await (await api(`/api/customers/${customer}/panel`)).json()) as Panel

describe(`binding orders from the sidebar on ${testDatabaseKind}`, () => {
  it('binds an order number; its buyer id comes along and matches the buyer’s other orders', async () => {
    const { api } = await signedIn(harness, 'seller')
    const before = await panel(api, 'wmXiaomei')
    const response = await bind(api, 'wmXiaomei', { kind: 'order_no', platform: null, value: 'TB-100' })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ matched: 2 })
    const after = await panel(api, 'wmXiaomei')
    expect(after.orders.totals.count).toBe(before.orders.totals.count + 2)
    expect(after.orders.recent.map((o) => o.orderNo)).toContain('TB-101')
    // {{最近购买}} now comes from the newest order, TB-101.
    expect(before.scripts.find((s) => s.title === '护肤新品')!.preview.text).toContain('防晒霜')
    expect(after.scripts.find((s) => s.title === '护肤新品')!.preview.text).toContain('面膜')
    expect(await harness.dataSource.getRepository(OrderWait).countBy({ kind: 'buyer_id' })).toBe(0)
    const [logged] = await harness.dataSource.getRepository(ActivityLog).findBy({ action: 'order_bound' })
    expect(JSON.parse(logged!.detail)).toEqual({ kind: 'order_no', platform: null, value: 'TB-100', matched: 2 })
  })

  it('binds a buyer id on a platform', async () => {
    const { api } = await signedIn(harness, 'seller')
    expect(await (await bind(api, 'wmXiaomei', { kind: 'buyer_id', platform: 'tmall', value: 'tb-buyer-9' })).json()).toEqual({ matched: 2 })
    // Again: nothing new, no error.
    expect(await (await bind(api, 'wmXiaomei', { kind: 'buyer_id', platform: 'tmall', value: 'tb-buyer-9' })).json()).toEqual({ matched: 0 })
  })

  it('refuses what belongs to another customer, unknown and ambiguous numbers, and bad input; nothing changes', async () => {
    const { api } = await signedIn(harness, 'seller')
    await bind(api, 'wmXiaomei', { kind: 'order_no', platform: 'tmall', value: 'TB-100' })
    const cases: [unknown, number, string][] = [
      [{ kind: 'order_no', platform: null, value: 'TB-100' }, 409, 'order_taken'],
      [{ kind: 'buyer_id', platform: 'tmall', value: 'tb-buyer-9' }, 409, 'buyer_taken'],
      [{ kind: 'order_no', platform: null, value: 'NOPE' }, 404, 'order_not_found'],
      [{ kind: 'order_no', platform: null, value: 'SAME-1' }, 409, 'order_ambiguous'],
      [{ kind: 'buyer_id', platform: null, value: 'x' }, 400, 'validation_failed'],
      [{ kind: 'order_no', platform: null, value: 'A\u0000B' }, 400, 'validation_failed'],
      [{ kind: 'phone', value: '1' }, 400, 'validation_failed'],
    ]
    const logged = await harness.dataSource.getRepository(ActivityLog).count()
    for (const [body, status, id] of cases) {
      const response = await bind(api, 'wmChen', body)
      expect([response.status, (await errorBody(response)).id], JSON.stringify(body)).toEqual([status, id])
    }
    expect(await harness.dataSource.getRepository(ActivityLog).count()).toBe(logged)
    // With the platform named, the number is unique.
    expect((await bind(api, 'wmChen', { kind: 'order_no', platform: 'jd', value: 'SAME-1' })).status).toBe(200)
  })

  it('answers 404 for a customer the member does not follow', async () => {
    const { api } = await signedIn(harness, 'seller')
    const response = await bind(api, 'wmUnicorn', { kind: 'order_no', platform: 'jd', value: 'JD-555' })
    expect(response.status).toBe(404)
    expect(await harness.dataSource.getRepository(ActivityLog).countBy({ action: 'order_bound' })).toBe(0)
  })

  it('a re-import does not move an order a member bound', async () => {
    const { api } = await signedIn(harness, 'seller')
    expect((await bind(api, 'wmXiaomei', { kind: 'order_no', platform: 'jd', value: 'JD-555' })).status).toBe(200)
    // The shop sends it again, now with wmChen's remark mobile.
    await importOrders(harness.dataSource, Readable.from(['platform,order_no,status,paid_at,amount,items,external_userid,unionid,phone,buyer_id\njd,JD-555,shipped,2026-11-21 10:00:00,30.00,口红*1,,,13800000004,']), { timeZone: 'Asia/Shanghai' })
    expect((await panel(api, 'wmXiaomei')).orders.recent.find((o) => o.orderNo === 'JD-555')?.statusText).toBe('已发货')
  })
})
