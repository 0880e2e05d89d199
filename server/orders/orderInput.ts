import { ORDER_STATUSES, type OrderStatus } from '../entities'
import { wallClockInstant } from '../time'

/** An order as a shop reports it, checked: what the CSV import and the order webhook save. */
export interface OrderInput {
  platform: string
  orderNo: string
  status: OrderStatus
  paidAt: Date | null
  amountCents: number
  items: { name: string; quantity: number }[]
  externalUserid: string | null
  unionid: string | null
  phone: string | null
  buyerId: string | null
}

/** The fields as text, the way a CSV row has them (the webhook's JSON is brought to this). */
export interface RawOrder {
  platform: string
  order_no: string
  status: string
  paid_at: string
  amount: string
  /** `name*qty|name*qty` (CSV), or the items themselves (webhook JSON). */
  items: string | { name: string; quantity: number }[]
  external_userid: string
  unionid: string
  phone: string
  buyer_id: string
}

export const ORDER_FIELDS = ['platform', 'order_no', 'status', 'paid_at', 'amount', 'items', 'external_userid', 'unionid', 'phone', 'buyer_id'] as const

const MAX_ITEMS = 200
const AMOUNT = /^\d{1,10}(\.\d{1,2})?$/
// ISO 8601, or `YYYY-MM-DD HH:mm:ss` in the business time zone; an offset, when given, decides.
const PAID_AT = /^(\d{4}-\d{2}-\d{2})[T ]((?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})?$/

export class OrderRejected extends Error {}

const reject = (reason: string): never => {
  throw new OrderRejected(reason)
}

// A control character or any UTF-16 surrogate, paired or not: one test that most text passes, before the exact ones.
const SUSPECT_UNITS = /[\u0000-\u001f\u007f\ud800-\udfff]/

function text(value: string, name: string, max: number): string | null {
  const trimmed = value.trim()
  if (trimmed === '') return null
  // Code points are never more than UTF-16 units: count them only when the units are too many.
  if (trimmed.length > max && [...trimmed].length > max) reject(`${name} is longer than ${max} characters`)
  if (SUSPECT_UNITS.test(trimmed)) {
    if (/[\u0000-\u001f\u007f]/.test(trimmed)) reject(`${name} contains control characters`)
    // JSON can escape half a surrogate pair ("\ud800"); stored as UTF-8 it would come back as U+FFFD, another text.
    if (/\p{Surrogate}/u.test(trimmed)) reject(`${name} is not valid Unicode text (half a surrogate pair)`)
  }
  return trimmed
}

/** The number the decimal digits text[start, start + length) write, without a substring for them. */
function digits(text: string, start: number, length: number): number {
  let number = 0
  for (let i = start; i < start + length; i++) number = number * 10 + text.charCodeAt(i) - 48
  return number
}

function paidAt(value: string, timeZone: string): Date | null {
  const trimmed = value.trim()
  if (trimmed === '') return null
  const match = PAID_AT.exec(trimmed) ?? reject(`paid_at "${value}" is neither ISO 8601 nor YYYY-MM-DD HH:mm:ss`)
  const timeLength = match[2]!.length
  const offset = match[3]
  const year = digits(trimmed, 0, 4)
  const month = digits(trimmed, 5, 2)
  const day = digits(trimmed, 8, 2)
  // Date.UTC accepts 2026-02-30 (as March 2); a paid_at that is not a real moment is a typo in the source.
  const midnight = Date.UTC(year, month - 1, day)
  const real = new Date(midnight)
  if (real.getUTCFullYear() !== year || real.getUTCMonth() !== month - 1 || real.getUTCDate() !== day) reject(`paid_at "${value}" is not a real date`)
  // The time is HH:mm, HH:mm:ss or HH:mm:ss.f (1 to 3 digits of fraction), from index 11.
  const seconds = timeLength < 8 ? 0 : digits(trimmed, 17, 2)
  const fraction = timeLength > 9 ? digits(trimmed, 20, timeLength - 9) * 10 ** (12 - timeLength) : 0
  const wallAsUtc = midnight + digits(trimmed, 11, 2) * 3_600_000 + digits(trimmed, 14, 2) * 60_000 + seconds * 1000 + fraction
  if (!offset) return wallClockInstant(wallAsUtc, timeZone)
  if (offset === 'Z') return new Date(wallAsUtc)
  const offsetHours = Number(offset.slice(1, 3))
  const offsetMinutes = Number(offset.slice(-2))
  // As Date reads an ISO offset: +24:00 or +08:60 is no offset at all.
  if (offsetHours > 23 || offsetMinutes > 59) reject(`paid_at "${value}" is not a real date`)
  return new Date(wallAsUtc - (offset[0] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000)
}

function items(value: RawOrder['items']): OrderInput['items'] {
  if (typeof value !== 'string') {
    if (value.length > MAX_ITEMS) reject(`more than ${MAX_ITEMS} items`)
    return value.map(({ name, quantity }) => {
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > 999_999) reject(`item "${name}" has quantity ${quantity}, not a whole number from 1`)
      return { name: text(name, 'item name', 255) ?? reject('an item has no name'), quantity }
    })
  }
  if (value.trim() === '') return []
  const parts = value.split('|')
  if (parts.length > MAX_ITEMS) reject(`more than ${MAX_ITEMS} items`)
  return parts.map((part) => {
    // The quantity follows the last '*': a name may contain one.
    const star = part.lastIndexOf('*')
    const name = star < 0 ? '' : part.slice(0, star).trim()
    const quantity = star < 0 ? '' : part.slice(star + 1).trim()
    if (!name || !/^\d{1,6}$/.test(quantity) || Number(quantity) < 1) reject(`item "${part}" is not name*quantity`)
    return { name: text(name, 'item name', 255)!, quantity: Number(quantity) }
  })
}

/** Digits only, without a +86 / 0086 prefix: how remark mobiles are kept. */
export function normalizePhone(value: string): string | null {
  const digits = value.replace(/[\s()-]/g, '').replace(/^(\+86|0086)/, '')
  if (digits === '') return null
  if (!/^\+?\d{5,20}$/.test(digits)) reject(`phone "${value}" is not a phone number`)
  return digits
}

/** A remark mobile as a phone identity, or null when it is not a phone number. */
export function phoneOrNull(value: string): string | null {
  try {
    return normalizePhone(value)
  } catch {
    return null
  }
}

/** Checks one order; throws OrderRejected with the reason, in English, for the report. */
export function parseOrder(raw: RawOrder, timeZone: string): OrderInput {
  const platform = text(raw.platform, 'platform', 32) ?? reject('platform is empty')
  const orderNo = text(raw.order_no, 'order_no', 64) ?? reject('order_no is empty')
  const status = raw.status.trim()
  if (!(ORDER_STATUSES as readonly string[]).includes(status)) reject(`status "${raw.status}" is not one of ${ORDER_STATUSES.join('|')}`)
  const amount = raw.amount.trim()
  if (!AMOUNT.test(amount)) reject(`amount "${raw.amount}" is not yuan like 123.45`)
  const point = amount.indexOf('.')
  const order: OrderInput = {
    platform,
    orderNo,
    status: status as OrderStatus,
    paidAt: paidAt(raw.paid_at, timeZone),
    amountCents: point < 0 ? Number(amount) * 100 : Number(amount.slice(0, point)) * 100 + Number(amount.slice(point + 1).padEnd(2, '0')),
    items: items(raw.items),
    externalUserid: text(raw.external_userid, 'external_userid', 64),
    unionid: text(raw.unionid, 'unionid', 64),
    phone: normalizePhone(raw.phone),
    buyerId: text(raw.buyer_id, 'buyer_id', 128),
  }
  if (!order.externalUserid && !order.unionid && !order.phone && !order.buyerId) reject('no identity: external_userid, unionid, phone or buyer_id is needed')
  return order
}
