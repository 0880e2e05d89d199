import type { EntityManager } from 'typeorm'
import { query } from '../db/sql'
import { CustomerIdentity, IDENTITY_KINDS, WAIT_KINDS, type IdentityKind, type WaitKind } from '../entities'
import type { LearnedIdentities } from '../mirror/customers'
import { phoneOrNull, type OrderInput } from './orderInput'

export interface IdentityBinding {
  customerId: number
  kind: IdentityKind
  /** The shop platform of a buyer id; '' otherwise. */
  platform: string
  value: string
  /** 'wecom', 'remark_mobile', 'order' or 'manual'. */
  source: string
}

const CHUNK = 500
/** Lookups by index take a batch of an import (2,000 orders) in one query. */
const LOOKUP_CHUNK = 2_000

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
  for (const kind of IDENTITY_KINDS) matched += await matchWaitingOrders(manager, kind, unique.filter((b) => b.kind === kind), now)
  return matched
}

/**
 * What the mirror learned, bound: orders waiting for these customers matched, then their
 * unionids (source 'wecom') and the remark mobiles that read as phones (source 'remark_mobile').
 * Returns how many orders that matched.
 */
export async function bindLearnedIdentities(manager: EntityManager, learned: LearnedIdentities, now = new Date()): Promise<number> {
  const bindings = learned.seen.flatMap(({ customerId, kind, value }): IdentityBinding[] => {
    if (kind === 'unionid') return [{ customerId, kind, platform: '', value, source: 'wecom' }]
    const phone = phoneOrNull(value)
    return phone ? [{ customerId, kind: 'phone', platform: '', value: phone, source: 'remark_mobile' }] : []
  })
  return (await matchOrdersOfNewCustomers(manager, learned.customers, now)) + (await bindIdentities(manager, bindings, now))
}

/** Orders that came before their customer, matched by external_userid once the customer is known. */
export function matchOrdersOfNewCustomers(manager: EntityManager, externalUserids: string[], now = new Date()): Promise<number> {
  return matchWaitingOrders(manager, 'external_userid', externalUserids.map((value) => ({ platform: '', value })), now)
}

/**
 * Waiting orders with one of these values get the customer the value is bound to now, and
 * stop waiting: through the waits' (kind, platform, value) index, however many orders there are.
 */
async function matchWaitingOrders(manager: EntityManager, kind: WaitKind, keys: { platform: string; value: string }[], now: Date): Promise<number> {
  const byPlatform = new Map<string, Set<string>>()
  for (const { platform, value } of keys) byPlatform.set(platform, (byPlatform.get(platform) ?? new Set()).add(value))
  let matched = 0
  for (const [platform, valueSet] of byPlatform) {
    const values = [...valueSet]
    for (let i = 0; i < values.length; i += CHUNK) {
      const waits = await query<{ order_id: number; value: string }>(
        manager,
        'SELECT order_id, value FROM order_waits WHERE kind = :kind AND platform = :platform AND value IN (:...values)',
        { kind, platform, values: values.slice(i, i + CHUNK) },
      )
      if (waits.length === 0) continue
      const customers =
        kind === 'external_userid'
          ? await customersByExternalUserid(manager, waits.map((w) => w.value))
          : await boundCustomers(manager, waits.map((w) => ({ kind, platform, value: w.value })))
      const customerOf = (value: string) => customers.get(kind === 'external_userid' ? value : identityKey(kind, platform, value))
      matched += await applyMatches(
        manager,
        waits.flatMap((w) => (customerOf(w.value) === undefined ? [] : [{ orderId: Number(w.order_id), customerId: customerOf(w.value)! }])),
        now,
      )
    }
  }
  return matched
}

/**
 * Every waiting order whose identity is now known, in SPEC §3.4's order of precedence: the
 * sweep after an import (another writer may have bound a value while it ran) and in the
 * nightly reconcile, so a match that raced past its binding is made within a day.
 */
export async function matchAllWaitingOrders(manager: EntityManager, now = new Date()): Promise<number> {
  let matched = 0
  for (const kind of WAIT_KINDS) {
    const pairs = await query<{ order_id: number; customer_id: number }>(
      manager,
      kind === 'external_userid'
        ? "SELECT w.order_id, c.id AS customer_id FROM order_waits w JOIN customers c ON c.external_userid = w.value WHERE w.kind = 'external_userid'"
        : `SELECT w.order_id, i.customer_id FROM order_waits w
             JOIN customer_identities i ON i.kind = w.kind AND i.platform = w.platform AND i.value = w.value
            WHERE w.kind = :kind`,
      { kind },
    )
    matched += await applyMatches(manager, pairs.map((p) => ({ orderId: Number(p.order_id), customerId: Number(p.customer_id) })), now)
  }
  return matched
}

/** Gives waiting orders their customers (an order that meanwhile got one keeps it) and ends their waits. */
export async function applyMatches(manager: EntityManager, matches: { orderId: number; customerId: number }[], now = new Date()): Promise<number> {
  for (let i = 0; i < matches.length; i += CHUNK) {
    const chunk = matches.slice(i, i + CHUNK)
    const parameters = { now, ids: chunk.map((m) => m.orderId) }
    const cases = chunk.map((m) => `WHEN ${Number(m.orderId)} THEN ${Number(m.customerId)}`).join(' ')
    await query(manager, `UPDATE orders SET customer_id = CASE id ${cases} END, updated_at = :now WHERE id IN (:...ids) AND customer_id IS NULL`, parameters)
    await query(manager, 'DELETE FROM order_waits WHERE order_id IN (:...ids)', parameters)
  }
  return matches.length
}

/** What an unmatched order waits for: a row per identity it carries (buyer ids per platform). */
export function waitsOf(orderId: number, order: OrderInput): [number, WaitKind, string, string][] {
  const waits: [number, WaitKind, string, string][] = []
  if (order.externalUserid) waits.push([orderId, 'external_userid', '', order.externalUserid])
  if (order.unionid) waits.push([orderId, 'unionid', '', order.unionid])
  if (order.phone) waits.push([orderId, 'phone', '', order.phone])
  if (order.buyerId) waits.push([orderId, 'buyer_id', order.platform, order.buyerId])
  return waits
}

async function customersByExternalUserid(manager: EntityManager, externalUserids: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>()
  const distinct = [...new Set(externalUserids)]
  for (let i = 0; i < distinct.length; i += LOOKUP_CHUNK) {
    const rows = await query<{ id: number; external_userid: string }>(manager, 'SELECT id, external_userid FROM customers WHERE external_userid IN (:...ids)', {
      ids: distinct.slice(i, i + LOOKUP_CHUNK),
    })
    for (const row of rows) found.set(row.external_userid, Number(row.id))
  }
  return found
}

/** The customer each identity is bound to now: one query a chunk, whatever the kinds. */
async function boundCustomers(manager: EntityManager, keys: { kind: string; platform: string; value: string }[]): Promise<Map<string, number>> {
  const found = new Map<string, number>()
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const groups = new Map<string, { kind: string; platform: string; values: string[] }>()
    for (const k of keys.slice(i, i + LOOKUP_CHUNK)) {
      const group = `${k.kind}\u0000${k.platform}`
      const existing = groups.get(group)
      if (existing) existing.values.push(k.value)
      else groups.set(group, { kind: k.kind, platform: k.platform, values: [k.value] })
    }
    const parameters: Record<string, unknown> = {}
    const conditions = [...groups.values()].map((g, n) => {
      Object.assign(parameters, { [`k${n}`]: g.kind, [`p${n}`]: g.platform, [`v${n}`]: g.values })
      return `(kind = :k${n} AND platform = :p${n} AND value IN (:...v${n}))`
    })
    const rows = await query<{ customer_id: number; kind: string; platform: string; value: string }>(
      manager,
      `SELECT customer_id, kind, platform, value FROM customer_identities WHERE ${conditions.join(' OR ')}`,
      parameters,
    )
    for (const row of rows) found.set(identityKey(row.kind, row.platform, row.value), Number(row.customer_id))
  }
  return found
}

/**
 * Customers one import has found by external_userid, so that its later orders for them need
 * no lookup: a shop's file names its repeat buyers again and again. Only customers found are
 * kept: an id found stays right (customers are neither deleted nor re-keyed; were one deleted
 * meanwhile, its order's insert would fail on the foreign key, not go astray), while one not
 * found may be synced in meanwhile. At most `capacity` of them, the first found.
 */
export class KnownCustomers {
  private readonly ids = new Map<string, number>()
  constructor(private readonly capacity = 200_000) {}

  get(externalUserid: string): number | undefined {
    return this.ids.get(externalUserid)
  }

  remember(found: Map<string, number>): void {
    for (const [externalUserid, id] of found) {
      if (this.ids.size >= this.capacity) return
      this.ids.set(externalUserid, id)
    }
  }
}

/**
 * The customer of each order, by SPEC §3.4's precedence: external_userid, else unionid, else
 * a buyer id bound on that platform, else a phone. Two queries for a batch of an import, the
 * first only for customers `known` does not hold.
 */
export async function matchCustomers(manager: EntityManager, orders: OrderInput[], known = new KnownCustomers(0)): Promise<(number | null)[]> {
  const distinct = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))]
  const unknown = distinct(orders.map((o) => o.externalUserid)).filter((externalUserid) => known.get(externalUserid) === undefined)
  const found = await customersByExternalUserid(manager, unknown)
  known.remember(found)
  const byExternal = { get: (externalUserid: string) => found.get(externalUserid) ?? known.get(externalUserid) }
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
