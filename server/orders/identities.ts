import type { EntityManager } from 'typeorm'
import { isMysql, query } from '../db/sql'
import { CustomerIdentity, type IdentityKind } from '../entities'
import type { OrderInput } from './orderInput'

export interface IdentityBinding {
  customerId: number
  kind: IdentityKind
  /** The shop platform of a buyer id; '' otherwise. */
  platform: string
  value: string
  /** 'wecom', 'remark_mobile', 'order' or 'manual'. */
  source: string
}

/** For an order row, the customer its column's value is bound to (NULL when none). */
const BOUND_CUSTOMER = {
  external_userid: 'SELECT c.id FROM customers c WHERE c.external_userid = orders.external_userid',
  unionid: "SELECT i.customer_id FROM customer_identities i WHERE i.kind = 'unionid' AND i.platform = '' AND i.value = orders.unionid",
  buyer_id: "SELECT i.customer_id FROM customer_identities i WHERE i.kind = 'buyer_id' AND i.platform = orders.platform AND i.value = orders.buyer_id",
  phone: "SELECT i.customer_id FROM customer_identities i WHERE i.kind = 'phone' AND i.platform = '' AND i.value = orders.phone",
} as const
const CHUNK = 500

const identityKey = (kind: string, platform: string, value: string) => `${kind}\u0000${platform}\u0000${value}`

/**
 * Binds identities to customers. A value already bound stays with its customer: the first
 * binding wins, and a phone two customers share matches the one that had it first. Orders
 * waiting for any of these values are then matched. Returns how many orders that matched.
 */
export async function bindIdentities(manager: EntityManager, bindings: IdentityBinding[], now = new Date()): Promise<number> {
  const unique = [...new Map(bindings.map((b) => [identityKey(b.kind, b.platform, b.value), b])).values()]
  if (unique.length === 0) return 0
  for (let i = 0; i < unique.length; i += CHUNK) {
    await manager
      .createQueryBuilder()
      .insert()
      .into(CustomerIdentity)
      .updateEntity(false)
      .values(unique.slice(i, i + CHUNK).map((b) => ({ ...b, createdAt: now })))
      .orIgnore()
      .execute()
  }
  let matched = 0
  for (const kind of ['unionid', 'buyer_id', 'phone'] as const) {
    matched += await matchWaitingOrders(manager, kind, [...new Set(unique.filter((b) => b.kind === kind).map((b) => b.value))], now)
  }
  return matched
}

/** Orders that came before their customer, matched by external_userid once the customer is known. */
export function matchOrdersOfNewCustomers(manager: EntityManager, externalUserids: string[], now = new Date()): Promise<number> {
  return matchWaitingOrders(manager, 'external_userid', externalUserids, now)
}

/**
 * Unmatched orders whose `column` holds one of the values get the customer that value is
 * bound to now: one UPDATE per chunk, through the column's index.
 */
async function matchWaitingOrders(manager: EntityManager, column: keyof typeof BOUND_CUSTOMER, values: string[], now: Date): Promise<number> {
  let matched = 0
  for (let i = 0; i < values.length; i += CHUNK) {
    const result = await query<unknown>(
      manager,
      `UPDATE orders SET customer_id = (${BOUND_CUSTOMER[column]}), updated_at = :now
        WHERE customer_id IS NULL AND ${column} IN (:...values) AND (${BOUND_CUSTOMER[column]}) IS NOT NULL`,
      { now, values: values.slice(i, i + CHUNK) },
    )
    matched += affectedRows(manager, result)
  }
  return matched
}

/** Rows an UPDATE changed, from either driver's raw answer. */
function affectedRows(manager: EntityManager, result: unknown): number {
  if (isMysql(manager)) return Number((result as { affectedRows?: number }).affectedRows ?? 0)
  // TypeORM's better-sqlite3 driver answers an UPDATE with [rows, changes].
  return Array.isArray(result) ? Number(result[1] ?? 0) : Number((result as { changes?: number }).changes ?? 0)
}

/** The customer each identity is bound to now. */
async function boundCustomers(manager: EntityManager, keys: { kind: string; platform: string; value: string }[]): Promise<Map<string, number>> {
  const found = new Map<string, number>()
  const groups = new Map<string, string[]>()
  for (const k of keys) {
    const group = `${k.kind}\u0000${k.platform}`
    const values = groups.get(group)
    if (values) values.push(k.value)
    else groups.set(group, [k.value])
  }
  for (const [group, values] of groups) {
    const [kind, platform] = group.split('\u0000') as [string, string]
    for (let i = 0; i < values.length; i += CHUNK) {
      const rows = await query<{ customer_id: number; value: string }>(
        manager,
        'SELECT customer_id, value FROM customer_identities WHERE kind = :kind AND platform = :platform AND value IN (:...values)',
        { kind, platform, values: values.slice(i, i + CHUNK) },
      )
      for (const row of rows) found.set(identityKey(kind, platform, row.value), Number(row.customer_id))
    }
  }
  return found
}

/**
 * The customer of each order, by SPEC §3.4's precedence: external_userid, else unionid, else
 * a buyer id bound on that platform, else a phone. Four queries for any number of orders.
 */
export async function matchCustomers(manager: EntityManager, orders: OrderInput[]): Promise<(number | null)[]> {
  const distinct = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))]
  const externalIds = distinct(orders.map((o) => o.externalUserid))
  const byExternal = new Map<string, number>()
  for (let i = 0; i < externalIds.length; i += CHUNK) {
    const rows = await query<{ id: number; external_userid: string }>(manager, 'SELECT id, external_userid FROM customers WHERE external_userid IN (:...ids)', {
      ids: externalIds.slice(i, i + CHUNK),
    })
    for (const row of rows) byExternal.set(row.external_userid, Number(row.id))
  }
  const identities = await boundCustomers(manager, [
    ...distinct(orders.map((o) => o.unionid)).map((value) => ({ kind: 'unionid', platform: '', value })),
    ...orders.filter((o) => o.buyerId !== null).map((o) => ({ kind: 'buyer_id', platform: o.platform, value: o.buyerId! })),
    ...distinct(orders.map((o) => o.phone)).map((value) => ({ kind: 'phone', platform: '', value })),
  ])
  const bound = (kind: string, platform: string, value: string | null) => (value === null ? undefined : identities.get(identityKey(kind, platform, value)))
  return orders.map(
    (o) =>
      (o.externalUserid === null ? undefined : byExternal.get(o.externalUserid)) ??
      bound('unionid', '', o.unionid) ??
      bound('buyer_id', o.platform, o.buyerId) ??
      bound('phone', '', o.phone) ??
      null,
  )
}
