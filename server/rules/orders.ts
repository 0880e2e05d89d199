import type { OrderStatus } from '../entities'

/** Orders that count as money spent (the panel's total, the RFM segments): refunded and cancelled ones do not. */
export const SPENDING_STATUSES: readonly OrderStatus[] = ['paid', 'shipped', 'completed']

const ORDER_STATUS_TEXT: Record<OrderStatus, string> = {
  paid: '已付款',
  shipped: '已发货',
  completed: '已完成',
  refunded: '已退款',
  cancelled: '已取消',
}
/** How a status reads to a member, in the panel and in the 订单状态 script variable; one we do not know, as stored. */
export const orderStatusText = (status: OrderStatus): string => ORDER_STATUS_TEXT[status] ?? status

/** An amount in fen as yuan with two decimals ("199.00"), as the panel and the 累计消费 variable show it. */
export const yuan = (cents: number): string => (cents / 100).toFixed(2)
