import { createHash } from 'node:crypto'
import type { EntityManager } from 'typeorm'
import { insertRows, query, rawInstant } from '../db/sql'
import { bindIdentities, matchCustomers, waitsOf } from './identities'
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
 * back. Call inside a transaction.
 */
export async function saveOrders(
  manager: EntityManager,
  batch: OrderInput[],
  { source, now: requestedNow = new Date(), statedAt }: { source: string; now?: Date; statedAt?: Date },
): Promise<SavedOrder[]> {
  const now = batchTime(requestedNow)
  const deduplicated = [...new Map(batch.map((o) => [orderKey(o.platform, o.orderNo), o])).values()]
  if (deduplicated.length === 0) return []
  // A webhook request says when it was made (never later than now); an import is as of now.
  const versionAt = new Date(Math.min((statedAt ?? now).getTime(), now.getTime()))
  const newer = statedAt ? await ordersStatedAfter(manager, deduplicated, versionAt) : new Map<string, number | null>()
  const orders = deduplicated.filter((o) => !newer.has(orderKey(o.platform, o.orderNo)))
  const stale = deduplicated.filter((o) => newer.has(orderKey(o.platform, o.orderNo))).map((o): SavedOrder => ({ orderNo: o.orderNo, result: 'stale', customerId: newer.get(orderKey(o.platform, o.orderNo))! }))
  if (orders.length === 0) return stale
  const matched = await matchCustomers(manager, orders)
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
  const stored = await storedOrders(manager, orders)
  const rows = orders.map((o) => stored.get(orderKey(o.platform, o.orderNo))!)
  const isNew = rows.map((row) => row.createdAt === now.getTime())
  // items_digest is not overwritten by the upsert: what is stored says what the items were.
  const changedItems = orders.flatMap((_, i) => (!isNew[i] && rows[i]!.itemsDigest !== digests[i] ? [i] : []))
  if (changedItems.length > 0) {
    const ids = changedItems.map((i) => rows[i]!.id)
    await query(manager, 'DELETE FROM order_items WHERE order_id IN (:...ids)', { ids })
    const cases = changedItems.map((i) => `WHEN ${rows[i]!.id} THEN '${digests[i]}'`).join(' ')
    await query(manager, `UPDATE orders SET items_digest = CASE id ${cases} END WHERE id IN (:...ids)`, { ids })
  }
  const updatedIds = rows.flatMap((row, i) => (isNew[i] ? [] : [row.id]))
  if (updatedIds.length > 0) await query(manager, 'DELETE FROM order_waits WHERE order_id IN (:...ids)', { ids: updatedIds })
  const waits = orders.flatMap((o, i) => (rows[i]!.customerId === null ? waitsOf(rows[i]!.id, o) : []))
  for (let i = 0; i < waits.length; i += ITEM_ROWS_PER_INSERT) await insertRows(manager, 'order_waits', ['order_id', 'kind', 'platform', 'value'], waits.slice(i, i + ITEM_ROWS_PER_INSERT))
  const changed = new Set(changedItems)
  const items: [number, number, string, number][] = []
  orders.forEach((o, i) => {
    if (isNew[i] || changed.has(i)) o.items.forEach((item, line) => items.push([rows[i]!.id, line + 1, item.name, item.quantity]))
  })
  for (let i = 0; i < items.length; i += ITEM_ROWS_PER_INSERT) await insertRows(manager, 'order_items', ['order_id', 'line_no', 'name', 'quantity'], items.slice(i, i + ITEM_ROWS_PER_INSERT))

  await bindIdentities(
    manager,
    orders.flatMap((o, i) => (o.buyerId !== null && rows[i]!.customerId !== null ? [{ customerId: rows[i]!.customerId!, kind: 'buyer_id' as const, platform: o.platform, value: o.buyerId, source: 'order' }] : [])),
    now,
  )
  return [...orders.map((o, i): SavedOrder => ({ orderNo: o.orderNo, result: isNew[i] ? 'inserted' : 'updated', customerId: rows[i]!.customerId })), ...stale]
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

/** A short digest of items, in order (base64url, so safe inside SQL text). */
const itemsDigest = (items: OrderInput['items']) => createHash('sha1').update(JSON.stringify(items.map((i) => [i.name, i.quantity]))).digest('base64url')

/** The batch's orders as stored, by key; createdAt in ms. */
async function storedOrders(manager: EntityManager, orders: OrderInput[]): Promise<Map<string, { id: number; customerId: number | null; createdAt: number; itemsDigest: string }>> {
  const byPlatform = new Map<string, string[]>()
  for (const o of orders) {
    const orderNos = byPlatform.get(o.platform)
    if (orderNos) orderNos.push(o.orderNo)
    else byPlatform.set(o.platform, [o.orderNo])
  }
  const found = new Map<string, { id: number; customerId: number | null; createdAt: number; itemsDigest: string }>()
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
  return found
}
