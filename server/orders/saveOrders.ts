import type { EntityManager } from 'typeorm'
import { query } from '../db/sql'
import { Order, OrderItem } from '../entities'
import { bindIdentities, matchCustomers } from './identities'
import type { OrderInput } from './orderInput'

export interface SavedOrder {
  orderNo: string
  result: 'inserted' | 'updated'
  /** The customer it belongs to, or null while it waits for a binding. */
  customerId: number | null
}

const orderKey = (platform: string, orderNo: string) => `${platform}\u0000${orderNo}`

/**
 * Upserts a batch of orders on (platform, order_no), items included, each matched to its
 * customer; a later order with the same key in the batch wins. A fixed number of queries
 * per batch, whatever its size. An order already bound to a customer (by a member, say)
 * keeps that customer when the new data matches nobody. A buyer id seen on a matched order
 * becomes a binding, which may match orders that were waiting for it. Call inside a
 * transaction.
 */
export async function saveOrders(manager: EntityManager, batch: OrderInput[], { source, now = new Date() }: { source: string; now?: Date }): Promise<SavedOrder[]> {
  const orders = [...new Map(batch.map((o) => [orderKey(o.platform, o.orderNo), o])).values()]
  if (orders.length === 0) return []
  const [matched, existing] = await Promise.all([matchCustomers(manager, orders), existingOrders(manager, orders)])
  const customerIds = orders.map((o, i) => matched[i] ?? existing.get(orderKey(o.platform, o.orderNo))?.customerId ?? null)

  await manager
    .createQueryBuilder()
    .insert()
    .into(Order)
    .updateEntity(false)
    .values(
      orders.map((o, i) => ({
        platform: o.platform,
        orderNo: o.orderNo,
        status: o.status,
        paidAt: o.paidAt,
        amountCents: o.amountCents,
        customerId: customerIds[i],
        externalUserid: o.externalUserid,
        unionid: o.unionid,
        phone: o.phone,
        buyerId: o.buyerId,
        source,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .orUpdate(['status', 'paid_at', 'amount_cents', 'customer_id', 'external_userid', 'unionid', 'phone', 'buyer_id', 'source', 'updated_at'], ['platform', 'order_no'])
    .execute()

  const ids = await existingOrders(manager, orders)
  const rewritten = [...existing.values()].map((o) => o.id)
  if (rewritten.length > 0) await query(manager, 'DELETE FROM order_items WHERE order_id IN (:...ids)', { ids: rewritten })
  const items = orders.flatMap((o) => o.items.map((item, line) => ({ orderId: ids.get(orderKey(o.platform, o.orderNo))!.id, lineNo: line + 1, name: item.name, quantity: item.quantity })))
  for (let i = 0; i < items.length; i += 2_000) await manager.createQueryBuilder().insert().into(OrderItem).updateEntity(false).values(items.slice(i, i + 2_000)).execute()

  await bindIdentities(
    manager,
    orders.flatMap((o, i) => (o.buyerId !== null && customerIds[i] !== null ? [{ customerId: customerIds[i]!, kind: 'buyer_id' as const, platform: o.platform, value: o.buyerId, source: 'order' }] : [])),
    now,
  )
  return orders.map((o, i) => ({ orderNo: o.orderNo, result: existing.has(orderKey(o.platform, o.orderNo)) ? 'updated' : 'inserted', customerId: customerIds[i] ?? null }))
}

/** The orders of the batch already stored, by key. */
async function existingOrders(manager: EntityManager, orders: OrderInput[]): Promise<Map<string, { id: number; customerId: number | null }>> {
  const byPlatform = new Map<string, string[]>()
  for (const o of orders) {
    const orderNos = byPlatform.get(o.platform)
    if (orderNos) orderNos.push(o.orderNo)
    else byPlatform.set(o.platform, [o.orderNo])
  }
  const found = new Map<string, { id: number; customerId: number | null }>()
  for (const [platform, orderNos] of byPlatform) {
    const rows = await query<{ id: number; order_no: string; customer_id: number | null }>(
      manager,
      'SELECT id, order_no, customer_id FROM orders WHERE platform = :platform AND order_no IN (:...orderNos)',
      { platform, orderNos },
    )
    for (const row of rows) found.set(orderKey(platform, row.order_no), { id: Number(row.id), customerId: row.customer_id === null ? null : Number(row.customer_id) })
  }
  return found
}
