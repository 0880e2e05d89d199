import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Logger as TypeormLogger } from 'typeorm'
import type { Panel } from '../api/contract'
import { errorBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { buildScriptLibrary, syncedCustomer } from '../../test/company'
import { buildOrder } from '../../test/factories'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  await buildScriptLibrary(harness.dataSource)
  // wmXiaomei's one order; the other customers have none.
  await buildOrder(harness.dataSource, {
    customer: await syncedCustomer(harness.dataSource, 'wmXiaomei'),
    platform: 'youzan',
    orderNo: 'YZ-1001',
    status: 'shipped',
    paidAt: new Date(Date.now() - 3 * 86_400_000),
    amountCents: 12_250,
    items: [{ name: '防晒霜', quantity: 2 }],
  })
})
afterEach(() => harness.cleanup())

// The test company (test/company.ts): seller, colleague and operator each follow their own
// customers; manager manages all three; the test server makes operator an operator.
const panelOf = async (userid: string, externalUserid: string) => (await signedIn(harness, userid)).api(`/api/customers/${externalUserid}/panel`)

describe(`the panel call on ${testDatabaseKind}`, () => {
  it('returns the profile, the member’s follow, tags by group, orders and filled scripts', async () => {
    const response = await panelOf('seller', 'wmXiaomei')
    expect(response.status).toBe(200)
    const panel = (await response.json()) as Panel
    expect(panel.customer).toMatchObject({ externalUserid: 'wmXiaomei', name: '🌸小美' })
    expect(panel.follow).toMatchObject({ member: { userid: 'seller', name: '陈浩' }, through: 'own', remark: '小美-老客', channel: null, phones: ['138****0001'], status: 'active' })
    expect(JSON.stringify(panel)).not.toContain('13800000001')

    expect(panel.tagGroups.map((g) => g.name)).toEqual(['客户等级', '兴趣偏好', '来源渠道'])
    const marked = panel.tagGroups.flatMap((g) => g.tags.filter((t) => t.marked).map((t) => t.name))
    expect(marked).toEqual(['重要客户', '护肤', '门店'])
    expect(panel.tagGroups[0]!.tags.map((t) => t.name)).toEqual(['重要客户', '普通客户', '潜在客户'])

    expect(panel.orders.recent.map((o) => o.orderNo)).toEqual(['YZ-1001'])
    expect(panel.orders.recent[0]).toMatchObject({ platform: 'youzan', status: 'shipped', statusText: '已发货', amount: '122.50', items: [{ name: '防晒霜', quantity: 2 }] })
    expect(panel.orders.totals).toEqual({ count: 1, spent: '122.50' })

    // Targeted at 重要客户 and 护肤, which the customer has: suggested first.
    expect(panel.scripts.slice(0, 2).map((s) => s.title).sort()).toEqual(['会员回馈', '护肤新品'])
    expect(panel.scripts.slice(0, 2).every((s) => s.tagMatch)).toBe(true)
    const care = panel.scripts.find((s) => s.title === '护肤新品')!
    expect(care.preview).toEqual({ text: '小美-老客，上次您买的防晒霜用得怎么样？这周到了新款精华，很适合换季。', unresolved: [] })
    const reward = panel.scripts.find((s) => s.title === '会员回馈')!
    expect(reward.preview.text).toContain('累计消费122.50元')
  })

  it('marks the variables a customer without orders cannot fill', async () => {
    const panel = (await (await panelOf('colleague', 'wmWu')).json()) as Panel
    expect(panel.orders.totals).toEqual({ count: 0, spent: '0.00' })
    const care = panel.scripts.find((s) => s.title === '护肤新品')!
    expect(care.preview.unresolved).toEqual(['最近购买'])
    expect(care.preview.text).toContain('{{最近购买}}')
  })


  it('shows the five latest orders, newest first, each with its own items in line order', async () => {
    const customer = await syncedCustomer(harness.dataSource, 'wmXiaomei')
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000)
    await buildOrder(harness.dataSource, { customer, orderNo: 'OLD-1', paidAt: daysAgo(30), items: [{ name: '旧款', quantity: 1 }] })
    await buildOrder(harness.dataSource, { customer, orderNo: 'NEW-1', paidAt: daysAgo(1), items: [{ name: '精华', quantity: 1 }, { name: '面膜', quantity: 3 }] })
    await buildOrder(harness.dataSource, { customer, orderNo: 'NEW-2', paidAt: daysAgo(2), items: [] })
    await buildOrder(harness.dataSource, { customer, orderNo: 'NEW-3', paidAt: daysAgo(4), items: [{ name: '口红', quantity: 2 }] })
    await buildOrder(harness.dataSource, { customer, orderNo: 'NEW-4', paidAt: daysAgo(5), items: [{ name: '防晒', quantity: 1 }] })
    const panel = (await (await panelOf('seller', 'wmXiaomei')).json()) as Panel
    // YZ-1001 was paid 3 days ago; OLD-1 is the sixth and left out of the list, not of the totals.
    expect(panel.orders.recent.map((o) => [o.orderNo, o.items.map((i) => `${i.name}*${i.quantity}`)])).toEqual([
      ['NEW-1', ['精华*1', '面膜*3']],
      ['NEW-2', []],
      ['YZ-1001', ['防晒霜*2']],
      ['NEW-3', ['口红*2']],
      ['NEW-4', ['防晒*1']],
    ])
    expect(panel.orders.totals.count).toBe(6)
  })
  it('lets members reach only their own customers, answering 404 otherwise', async () => {
    const others = await panelOf('seller', 'wmUnicorn')
    expect(others.status).toBe(404)
    const missing = await panelOf('seller', 'wmNoSuchCustomer')
    expect(missing.status).toBe(404)
    // The same answer: whether a customer exists is not told.
    expect(await errorBody(others)).toEqual(await errorBody(missing))
  })

  it('lets managers reach their reports’ customers, and operators everyone’s', async () => {
    const asManager = await panelOf('manager', 'wmUnicorn')
    expect(asManager.status).toBe(200)
    expect(((await asManager.json()) as Panel).follow).toMatchObject({ member: { userid: 'colleague' }, through: 'report' })
    const asOperator = await panelOf('operator', 'wmXiaomei')
    expect(asOperator.status).toBe(200)
    expect(((await asOperator.json()) as Panel).follow).toMatchObject({ member: { userid: 'seller' }, through: 'operator' })
    // A plain member is nobody's manager.
    expect((await panelOf('colleague', 'wmLily')).status).toBe(404)
  })

  it('closes a customer the member deleted, keeps one who deleted the member', async () => {
    await harness.dataSource.query(
      "UPDATE follow_relations SET status = 'deleted_by_member' WHERE customer_id = (SELECT id FROM customers WHERE external_userid = 'wmChen')",
    )
    await harness.dataSource.query(
      "UPDATE follow_relations SET status = 'deleted_by_customer' WHERE customer_id = (SELECT id FROM customers WHERE external_userid = 'wmLin')",
    )
    expect((await panelOf('seller', 'wmChen')).status).toBe(404)
    expect((await panelOf('seller', 'wmLin')).status).toBe(200)
  })

  it('answers a path that names no customer or tag with 404, before it reaches the database', async () => {
    const { api } = await signedIn(harness, 'seller')
    const [{ id: tagId }] = await harness.dataSource.query('SELECT MIN(id) AS id FROM tags')
    const tag = (externalUserid: string, id: string) => api(`/api/customers/${externalUserid}/tags/${id}`, { method: 'PUT', body: JSON.stringify({ marked: true }) })
    for (const id of ['abc', 'NaN', 'Infinity', '-1', '0', '1.5', '1e3', '0x10', '%20', '9007199254740993', '1'.repeat(40)]) {
      const response = await tag('wmXiaomei', id)
      expect([id, response.status]).toEqual([id, 404])
      expect((await errorBody(response)).id).toBe('not_found')
    }
    for (const externalUserid of ['w'.repeat(65), 'wm%01Xiaomei', 'wm%7FXiaomei', '%20']) {
      expect([externalUserid, (await tag(externalUserid, String(tagId))).status]).toEqual([externalUserid, 404])
      expect([externalUserid, (await api(`/api/customers/${externalUserid}/panel`)).status]).toEqual([externalUserid, 404])
      const followUp = await api(`/api/customers/${externalUserid}/follow-ups`, { method: 'POST', body: JSON.stringify({ note: 'x' }) })
      expect([externalUserid, followUp.status]).toEqual([externalUserid, 404])
    }
    // A well-formed path still works.
    expect((await tag('wmXiaomei', String(tagId))).status).toBe(200)
  })

  it('needs a session', async () => {
    expect((await fetch(`${harness.server!.url}/api/customers/wmXiaomei/panel`)).status).toBe(401)
  })

  it('runs a bounded number of queries, however many orders and follow-ups there are', async () => {
    const { api } = await signedIn(harness, 'seller')
    const count = async () => {
      let queries = 0
      const original = harness.dataSource.logger
      const counting: TypeormLogger = { ...original, logQuery: () => void queries++, logQueryError: () => {}, logQuerySlow: () => {}, logSchemaBuild: () => {}, logMigration: () => {}, log: () => {} }
      Object.assign(harness.dataSource, { logger: counting })
      try {
        expect((await api('/api/customers/wmXiaomei/panel')).status).toBe(200)
      } finally {
        Object.assign(harness.dataSource, { logger: original })
      }
      return queries
    }
    const before = await count()
    const [customer] = await harness.dataSource.query("SELECT id FROM customers WHERE external_userid = 'wmXiaomei'")
    for (let n = 0; n < 30; n++) {
      await harness.dataSource.query(
        `INSERT INTO orders (platform, order_no, status, paid_at, amount_cents, customer_id, source, created_at, updated_at) VALUES ('jd', 'X${n}', 'paid', '2026-01-01 00:00:00', 100, ${customer.id}, 'test', '2026-01-01 00:00:00', '2026-01-01 00:00:00')`,
      )
    }
    const after = await count()
    // Counting works (the session, the access check, customer with follow, history, tags, orders with their items, totals, scripts)…
    expect(before).toBeGreaterThanOrEqual(8)
    expect(before).toBeLessThanOrEqual(10)
    expect(after).toBe(before)
  })
})
