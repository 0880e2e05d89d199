import type { DataSource } from 'typeorm'
import type { BindingRequest, BindingResult } from '../api/contract'
import type { VisibleFollow } from '../customers/access'
import { query } from '../db/sql'
import { upsertTransaction } from '../db/transaction'
import { ActivityLog } from '../entities'
import { AppError } from '../errors'
import { applyMatches, bindIdentities } from './identities'

/**
 * A member says an order, or a shop's buyer id, is this customer's (SPEC §4.5). An order
 * already someone else's, or a buyer id bound to another customer, is refused: a member
 * cannot move data between customers from a chat. An order's buyer id comes along, so the
 * customer's other orders under it match too. Returns how many orders it matched.
 */
export async function bindManually(dataSource: DataSource, actorId: number, follow: VisibleFollow, binding: BindingRequest): Promise<BindingResult> {
  return upsertTransaction(dataSource, async (tx) => {
    const now = new Date()
    let matched = 0
    if (binding.kind === 'order_no') {
      // By the (platform, order_no) index: with no platform named, every platform's.
      const platforms = binding.platform ? [binding.platform] : (await query<{ platform: string }>(tx, 'SELECT DISTINCT platform FROM orders')).map((p) => p.platform)
      const orders =
        platforms.length === 0
          ? []
          : await query<{ id: number; platform: string; customer_id: number | null; buyer_id: string | null }>(
              tx,
              'SELECT id, platform, customer_id, buyer_id FROM orders WHERE platform IN (:...platforms) AND order_no = :orderNo',
              { orderNo: binding.value, platforms },
            )
      if (orders.length === 0) throw new AppError('order_not_found', 'No order has that number')
      if (orders.length > 1) throw new AppError('order_ambiguous', 'Orders of several platforms have that number: name the platform')
      const order = orders[0]!
      if (order.customer_id !== null && Number(order.customer_id) !== follow.customerId) throw new AppError('order_taken', 'The order belongs to another customer')
      if (order.customer_id === null) {
        await applyMatches(tx, [{ orderId: Number(order.id), customerId: follow.customerId }], now)
        // Another writer may have matched it between our read and our write.
        const [stored] = await query<{ customer_id: number | null }>(tx, 'SELECT customer_id FROM orders WHERE id = :id', { id: order.id })
        if (Number(stored?.customer_id) !== follow.customerId) throw new AppError('order_taken', 'The order belongs to another customer')
        matched = 1
      }
      if (order.buyer_id) {
        matched += await bindIdentities(tx, [{ customerId: follow.customerId, kind: 'buyer_id', platform: order.platform, value: order.buyer_id, source: 'manual' }], now)
      }
    } else {
      const [bound] = await query<{ customer_id: number }>(tx, "SELECT customer_id FROM customer_identities WHERE kind = 'buyer_id' AND platform = :platform AND value = :value", binding)
      if (bound && Number(bound.customer_id) !== follow.customerId) throw new AppError('buyer_taken', 'That buyer id is bound to another customer')
      matched = await bindIdentities(tx, [{ customerId: follow.customerId, kind: 'buyer_id', platform: binding.platform, value: binding.value, source: 'manual' }], now)
    }
    await tx.insert(ActivityLog, {
      actorMemberId: actorId,
      customerId: follow.customerId,
      action: binding.kind === 'order_no' ? 'order_bound' : 'buyer_bound',
      detail: JSON.stringify({ ...binding, matched }),
      createdAt: now,
    })
    return { matched }
  })
}
