import { hash } from 'node:crypto'
import type { EntityManager } from 'typeorm'
import { insertRows, query, rawInstant } from '../db/sql'
import { bindIdentities, matchCustomers, waitsOf, type IdentityBinding, type KnownCustomers } from './identities'
import type { OrderInput } from './orderInput'

export interface SavedOrder {
  orderNo: string
  /** 'stale': we keep a version the source stated later, and left it as it is. */
  result: 'inserted' | 'updated' | 'stale'
  /** The customer it belongs to, or null while it waits for a binding. */
  customerId: number | null
}

/** Items and waits have 4 parameters a row: well under SQLite's 32,766 and MySQL's 65,535 per statement. */
const ITEM_ROWS_PER_INSERT = 5_000

const orderKey = (platform: string, orderNo: string) => `${platform}\u0000${orderNo}`

let lastBatchTime = 0
/**
 * A batch's write time, later than every earlier batch's in this process. created_at === now
 * is how a batch knows the rows it inserted: an order saved again within the same millisecond
 * (a re-import, two webhook requests) would look inserted again, and get its waits and items twice.
 */
function batchTime(requested: Date): Date {
  lastBatchTime = Math.max(requested.getTime(), lastBatchTime + 1)
  return new Date(lastBatchTime)
}

/**
 * Upserts a batch of orders on (platform, order_no), items included, each matched to its
 * customer; a later order with the same key in the batch wins. A fixed number of queries
 * per batch, whatever its size. An order whose created_at is this batch's `now` is one it
 * inserted (batches of one process never share a `now`; two processes in one millisecond could). An order that has a
 * customer keeps it (a member may have bound it by hand): like identities, the first match
 * wins. A buyer id seen on a matched order becomes a binding, which may match orders that
 * were waiting for it. With `statedAt` (a webhook request's time), an order we keep in a
 * version stated later is left alone: a retried or replayed older request cannot set it
 * back. `known` carries the customers an import found in its earlier batches. Call inside a
 * transaction.
 */
export async function saveOrders(
  manager: EntityManager,
  batch: OrderInput[],
  { source, now: requestedNow = new Date(), statedAt, known }: { source: string; now?: Date; statedAt?: Date; known?: KnownCustomers },
): Promise<SavedOrder[]> {
  const now = batchTime(requestedNow)
  const deduplicated = lastOfEachOrder(batch)
  if (deduplicated.length === 0) return []
  // A webhook request says when it was made (never later than now); an import is as of now.
  const versionAt = new Date(Math.min((statedAt ?? now).getTime(), now.getTime()))
  let orders = deduplicated
  const stale: SavedOrder[] = []
  if (statedAt) {
    const newer = await ordersStatedAfter(manager, deduplicated, versionAt)
    orders = deduplicated.filter((o) => !newer.has(orderKey(o.platform, o.orderNo)))
    for (const o of deduplicated) if (newer.has(orderKey(o.platform, o.orderNo))) stale.push({ orderNo: o.orderNo, result: 'stale', customerId: newer.get(orderKey(o.platform, o.orderNo))! })
    if (orders.length === 0) return stale
  }
  const matched = await matchCustomers(manager, orders, known)
  const digests = orders.map((o) => itemsDigest(o.items))
  await insertRows(
    manager,
    'orders',
    ['platform', 'order_no', 'status', 'paid_at', 'amount_cents', 'customer_id', 'external_userid', 'unionid', 'phone', 'buyer_id', 'source', 'items_digest', 'version_at', 'created_at', 'updated_at'],
    orders.map((o, i) => [o.platform, o.orderNo, o.status, o.paidAt, o.amountCents, matched[i], o.externalUserid, o.unionid, o.phone, o.buyerId, source, digests[i], versionAt, now, now]),
    {
      keys: ['platform', 'order_no'],
      update: ['status', 'paid_at', 'amount_cents', 'external_userid', 'unionid', 'phone', 'buyer_id', 'source', 'version_at', 'updated_at'],
      fillWhenNull: ['customer_id'],
    },
  )

  // Read back after writing: ids, the customer each now has, and which rows this batch created.
  const rows = await storedOrders(manager, orders)
  const isNew = rows.map((row) => row.createdAt === now.getTime())
  // items_digest is not overwritten by the upsert: what is stored says what the items were.
  const changedItems: number[] = []
  const updatedIds: number[] = []
  const waits: ReturnType<typeof waitsOf> = []
  const buyerBindings: IdentityBinding[] = []
  for (let i = 0; i < orders.length; i++) {
    const o = orders[i]!
    const row = rows[i]!
    if (!isNew[i]) {
      updatedIds.push(row.id)
      if (row.itemsDigest !== digests[i]) changedItems.push(i)
    }
    if (row.customerId === null) waits.push(...waitsOf(row.id, o))
    else if (o.buyerId !== null) buyerBindings.push({ customerId: row.customerId, kind: 'buyer_id', platform: o.platform, value: o.buyerId, source: 'order' })
  }
  if (changedItems.length > 0) {
    const ids = changedItems.map((i) => rows[i]!.id)
    await query(manager, 'DELETE FROM order_items WHERE order_id IN (:...ids)', { ids })
    const cases = changedItems.map((i) => `WHEN ${rows[i]!.id} THEN '${digests[i]}'`).join(' ')
    await query(manager, `UPDATE orders SET items_digest = CASE id ${cases} END WHERE id IN (:...ids)`, { ids })
  }
  if (updatedIds.length > 0) await query(manager, 'DELETE FROM order_waits WHERE order_id IN (:...ids)', { ids: updatedIds })
  for (let i = 0; i < waits.length; i += ITEM_ROWS_PER_INSERT) await insertRows(manager, 'order_waits', ['order_id', 'kind', 'platform', 'value'], waits.slice(i, i + ITEM_ROWS_PER_INSERT))
  const changed = new Set(changedItems)
  const items: [number, number, string, number][] = []
  for (let i = 0; i < orders.length; i++) {
    if (!isNew[i] && !changed.has(i)) continue
    const id = rows[i]!.id
    const orderItems = orders[i]!.items
    for (let line = 0; line < orderItems.length; line++) items.push([id, line + 1, orderItems[line]!.name, orderItems[line]!.quantity])
  }
  for (let i = 0; i < items.length; i += ITEM_ROWS_PER_INSERT) await insertRows(manager, 'order_items', ['order_id', 'line_no', 'name', 'quantity'], items.slice(i, i + ITEM_ROWS_PER_INSERT))

  await bindIdentities(manager, buyerBindings, now)
  const saved = orders.map((o, i): SavedOrder => ({ orderNo: o.orderNo, result: isNew[i] ? 'inserted' : 'updated', customerId: rows[i]!.customerId }))
  return stale.length > 0 ? [...saved, ...stale] : saved
}

/** The last of the batch's orders with each key, where the first of them stood: the later row wins. */
function lastOfEachOrder(batch: OrderInput[]): OrderInput[] {
  const positions = new Map<string, number>()
  const orders: OrderInput[] = []
  for (const order of batch) {
    const key = orderKey(order.platform, order.orderNo)
    const position = positions.get(key)
    if (position === undefined) positions.set(key, orders.push(order) - 1)
    else orders[position] = order
  }
  return orders
}

/** Orders of the batch whose kept version was stated after `versionAt`, with their customer. */
async function ordersStatedAfter(manager: EntityManager, orders: OrderInput[], versionAt: Date): Promise<Map<string, number | null>> {
  const found = new Map<string, number | null>()
  for (const platform of new Set(orders.map((o) => o.platform))) {
    const rows = await query<{ order_no: string; customer_id: number | null }>(
      manager,
      'SELECT order_no, customer_id FROM orders WHERE platform = :platform AND order_no IN (:...orderNos) AND version_at > :versionAt',
      { platform, orderNos: orders.filter((o) => o.platform === platform).map((o) => o.orderNo), versionAt },
    )
    for (const row of rows) found.set(orderKey(platform, row.order_no), row.customer_id === null ? null : Number(row.customer_id))
  }
  return found
}

/** A short digest of items, in order (base64url, so safe inside SQL text); one call, as a million orders each take one. */
const itemsDigest = (items: OrderInput['items']) => hash('sha1', JSON.stringify(items.map((i) => [i.name, i.quantity])), 'base64url')

interface StoredOrder {
  id: number
  customerId: number | null
  /** In ms. */
  createdAt: number
  itemsDigest: string
}

/** The batch's orders as stored, in the batch's order (each has been written, so each is there). */
async function storedOrders(manager: EntityManager, orders: OrderInput[]): Promise<StoredOrder[]> {
  const byPlatform = new Map<string, string[]>()
  for (const o of orders) {
    const orderNos = byPlatform.get(o.platform)
    if (orderNos) orderNos.push(o.orderNo)
    else byPlatform.set(o.platform, [o.orderNo])
  }
  const found = new Map<string, StoredOrder>()
  for (const [platform, orderNos] of byPlatform) {
    const rows = await query<{ id: number; order_no: string; customer_id: number | null; created_at: Date | string; items_digest: string }>(
      manager,
      'SELECT id, order_no, customer_id, created_at, items_digest FROM orders WHERE platform = :platform AND order_no IN (:...orderNos)',
      { platform, orderNos },
    )
    for (const row of rows) {
      found.set(orderKey(platform, row.order_no), {
        id: Number(row.id),
        customerId: row.customer_id === null ? null : Number(row.customer_id),
        createdAt: rawInstant(row.created_at).getTime(),
        itemsDigest: row.items_digest,
      })
    }
  }
  return orders.map((o) => found.get(orderKey(o.platform, o.orderNo))!)
}
