import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConsoleOrderSources, OrderSourceSecret } from '../api/contract'
import { ActivityLog, OrderSource } from '../entities'
import { signRequest } from '../orders/sources'
import { errorBody, jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(() => harness.cleanup())

const as = async (userid: string) => (await signedIn(harness, userid)).api
const post = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) })

/** A signed webhook request from the shop system `name`, with one order. */
function postOrder(name: string, secret: string) {
  const body = JSON.stringify({ orders: [{ order_no: `W-${name}`, status: 'paid', paid_at: '2026-11-01 10:00:00', amount: '9.90', items: [{ name: '面膜', quantity: 1 }], external_userid: 'wmXiaomei' }] })
  const timestamp = String(Math.floor(Date.now() / 1000))
  return fetch(`${harness.server!.url}/api/integrations/orders/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-scrm-timestamp': timestamp, 'x-scrm-signature': signRequest(secret, timestamp, body) },
    body,
  })
}

describe(`订单来源 on ${testDatabaseKind}`, () => {
  it('adds a source showing its secret once, replaces the secret, notes its last order and removes it; each change logged without the secret', async () => {
    const api = await as('operator')
    const added = await jsonBody<OrderSourceSecret>(await api('/api/console/sources', post({ name: 'youzan', platform: 'youzan' })), 201)
    expect(added.source).toMatchObject({ name: 'youzan', platform: 'youzan', rotatedAt: null, lastOrderAt: null })
    expect(added.source.webhookUrl).toMatch(/\/api\/integrations\/orders\/youzan$/)
    expect(added.secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const listed = await jsonBody<ConsoleOrderSources>(await api('/api/console/sources'))
    expect(listed.sources.map((s) => s.name)).toEqual(['youzan'])
    expect(JSON.stringify(listed)).not.toContain(added.secret)

    expect((await postOrder('youzan', added.secret)).status).toBe(200)
    const afterOrder = await jsonBody<ConsoleOrderSources>(await api('/api/console/sources'))
    expect(afterOrder.sources[0]!.lastOrderAt).not.toBeNull()

    const rotated = await jsonBody<OrderSourceSecret>(await api('/api/console/sources/youzan/secret', { method: 'POST' }))
    expect(rotated.secret).not.toBe(added.secret)
    expect(rotated.source.rotatedAt).not.toBeNull()
    // The old secret stops working at once; the new one works.
    expect((await postOrder('youzan', added.secret)).status).toBe(401)
    expect((await postOrder('youzan', rotated.secret)).status).toBe(200)

    expect((await api('/api/console/sources/youzan', { method: 'DELETE' })).status).toBe(204)
    expect((await jsonBody<ConsoleOrderSources>(await api('/api/console/sources'))).sources).toEqual([])
    expect((await postOrder('youzan', rotated.secret)).status).toBe(404)

    const log = await harness.dataSource.getRepository(ActivityLog).find({ order: { id: 'ASC' } })
    const changes = log.filter((entry) => entry.action.startsWith('order_source_'))
    expect(changes.map((entry) => entry.action)).toEqual(['order_source_added', 'order_source_rotated', 'order_source_removed'])
    for (const entry of changes) {
      expect(entry.detail).not.toContain(added.secret)
      expect(entry.detail).not.toContain(rotated.secret)
    }
  })

  it('refuses a bad name or platform and a taken name, changing nothing', async () => {
    const api = await as('operator')
    await jsonBody(await api('/api/console/sources', post({ name: 'jd', platform: 'jd' })), 201)
    const before = await harness.dataSource.getRepository(OrderSource).find()
    for (const [body, status, id] of [
      [{ name: 'Bad Name', platform: 'jd' }, 400, 'validation_failed'],
      [{ name: 'shop', platform: 'two words' }, 400, 'validation_failed'],
      [{ name: 'jd', platform: 'jd' }, 409, 'conflict'],
      [{ name: 'x' }, 400, 'validation_failed'],
    ] as const) {
      const response = await api('/api/console/sources', post(body))
      expect(response.status, JSON.stringify(body)).toBe(status)
      expect((await errorBody(response)).id).toBe(id)
    }
    expect(await harness.dataSource.getRepository(OrderSource).find()).toEqual(before)
    expect((await api('/api/console/sources/nosuch/secret', { method: 'POST' })).status).toBe(404)
    expect((await api('/api/console/sources/nosuch', { method: 'DELETE' })).status).toBe(404)
  })

  it('is for operators: a manager gets 403 forbidden, anyone else 403 no_console_access', async () => {
    for (const [userid, id] of [
      ['manager', 'forbidden'],
      ['seller', 'no_console_access'],
    ] as const) {
      const api = await as(userid)
      for (const [path, init] of [
        ['/api/console/sources', {}],
        ['/api/console/sources', post({ name: 'shop', platform: 'shop' })],
        ['/api/console/sources/shop/secret', { method: 'POST' }],
        ['/api/console/sources/shop', { method: 'DELETE' }],
      ] as const) {
        const response = await api(path, init)
        expect(response.status, `${userid} ${path}`).toBe(403)
        expect((await errorBody(response)).id).toBe(id)
      }
    }
    expect(await harness.dataSource.getRepository(OrderSource).count()).toBe(0)
  })
})
