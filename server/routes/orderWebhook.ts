/**
 * The order webhook for shop systems (SPEC §4.5).
 *
 *   POST /api/integrations/orders/<source>
 *   X-Scrm-Timestamp: <unix seconds>
 *   X-Scrm-Signature: <hex HMAC-SHA256>          ("sha256=<hex>" is accepted too)
 *   Content-Type: application/json
 *
 *   {"orders": [{"order_no": "T1001", "status": "paid", "paid_at": "2026-03-01 14:30:00",
 *                "amount": "199.00", "items": [{"name": "防晒霜", "quantity": 2}],
 *                "external_userid": "wm…", "unionid": null, "phone": "13800000001", "buyer_id": "tb_123"}]}
 *
 * - <source> and its secret come from `npm run sources -- add <source> --platform <platform>`.
 * - Signature: HMAC-SHA256 keyed with the secret's text exactly as printed (ASCII, not
 *   base64-decoded), over the bytes of `<timestamp>` + "." + <the body exactly as sent>;
 *   lowercase or uppercase hex. In Node:
 *   createHmac('sha256', secret).update(timestamp + '.').update(bodyBytes).digest('hex')
 *   Sign the bytes you send: re-serialising the JSON after signing breaks the signature.
 * - The timestamp must be within ±5 minutes of our clock.
 * - Body: UTF-8 JSON, at most 1 MB, `{"orders": [...]}` with 1–500 orders. Per order:
 *   `order_no` (string), `status` (paid|shipped|completed|refunded|cancelled), `paid_at`
 *   (ISO 8601 with or without offset, or `YYYY-MM-DD HH:mm:ss` in SCRM_TIMEZONE; null when
 *   unpaid), `amount` (yuan, number or string, ≤ 2 decimals), `items` (array of
 *   `{name, quantity}`, quantity a positive integer), and at least
 *   one of `external_userid`, `unionid`, `phone`, `buyer_id` (strings, or null/absent).
 *   `platform` may be left out: it is the source's; another one is rejected.
 * - Answers:
 *   200 `{"results": [{"order_no", "result": "inserted"|"updated"|"stale"|"rejected", "reason"?, "matched"}]}`,
 *       one per order in request order (`order_no` as sent, null if it was not a string).
 *       Valid orders are saved in one transaction; invalid ones are only reported. An
 *       order_no repeated in one request: the last one wins, the later ones say "updated".
 *   401 missing/malformed headers, timestamp out of window, bad signature;
 *   404 unknown source; 413 body over 1 MB; 400 not JSON, not {"orders": [...]}, 0 or > 500
 *   orders. Errors are `{"error": {"id", "message"}}`, and nothing is written.
 *
 * Idempotent on (platform, order_no): sending an order again updates it. A replay of the
 * same signed request within the window is accepted, not refused: shop systems retry after
 * timeouts with the same request, and the upsert makes a retry harmless. Each order keeps
 * the timestamp of the request that wrote it: an order from an older request (a retry
 * arriving after a newer update, or a replay) answers "stale" and is not applied, so an
 * order is never set back. Serve the endpoint over HTTPS only.
 */
import Router from '@koa/router'
import getRawBody from 'raw-body'
import type { DataSource } from 'typeorm'
import { z } from 'zod'
import { upsertTransaction } from '../db/transaction'
import { badRequest, notFound, payloadTooLarge, unauthorized, validationFailed } from '../errors'
import type { Logger } from '../logger'
import { OrderRejected, parseOrder, type OrderInput } from '../orders/orderInput'
import { saveOrders, type SavedOrder } from '../orders/saveOrders'
import { findSource, noteOrdersReceived, SignatureRejected, SOURCE_NAME, verifySignedRequest } from '../orders/sources'
import { parseParams } from '../http/params'

export const ORDER_WEBHOOK_BODY_LIMIT = 1024 * 1024
export const ORDER_WEBHOOK_MAX_ORDERS = 500

const envelope = z.object({ orders: z.array(z.unknown()).min(1, 'at least one order').max(ORDER_WEBHOOK_MAX_ORDERS, `at most ${ORDER_WEBHOOK_MAX_ORDERS} orders a request`) })

const sourcePath = z.object({ source: z.string().regex(SOURCE_NAME, 'must be a source name: 1–32 of a-z, 0-9, _ and -') })

const identity = z.string().nullish()
const webhookOrder = z.object({
  platform: z.string().nullish(),
  // A string only: a JSON number loses digits past 2^53, and would silently change the order number.
  order_no: z.string(),
  status: z.string(),
  paid_at: z.string().nullable(),
  amount: z.union([z.number(), z.string()]),
  items: z.array(z.object({ name: z.string(), quantity: z.number().int() })),
  external_userid: identity,
  unionid: identity,
  phone: identity,
  buyer_id: identity,
})

export interface OrderResult {
  order_no: string | null
  result: 'inserted' | 'updated' | 'stale' | 'rejected'
  reason?: string
  matched: boolean
}

type Checked = { order: OrderInput } | { reason: string }

/** One order of the JSON, checked by the same rules as a CSV row. */
function checkOrder(entry: unknown, platform: string, timeZone: string): OrderInput {
  const parsed = webhookOrder.safeParse(entry)
  if (!parsed.success) throw new OrderRejected(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'order'}: ${issue.message}`).join('; '))
  const order = parsed.data
  if (order.platform && order.platform.trim() !== platform) throw new OrderRejected(`platform "${order.platform}" is not this source's platform (${platform})`)
  return parseOrder(
    {
      platform,
      order_no: order.order_no,
      status: order.status,
      paid_at: order.paid_at ?? '',
      amount: String(order.amount),
      items: order.items,
      external_userid: order.external_userid ?? '',
      unionid: order.unionid ?? '',
      phone: order.phone ?? '',
      buyer_id: order.buyer_id ?? '',
    },
    timeZone,
  )
}

/**
 * One result per order sent, in order. saveOrders answers once per (platform, order_no), the
 * last occurrence winning; a repeat within the request updated what its first one saved.
 */
function presentResults(orders: unknown[], checked: Checked[], saved: SavedOrder[]): OrderResult[] {
  const outcomes = new Map(saved.map((order) => [order.orderNo, order]))
  const seen = new Set<string>()
  return orders.map((entry, i) => {
    const sent = (entry as { order_no?: unknown } | null)?.order_no
    const orderNo = typeof sent === 'string' ? sent : null
    const check = checked[i]!
    if ('reason' in check) return { order_no: orderNo, result: 'rejected', reason: check.reason, matched: false }
    const outcome = outcomes.get(check.order.orderNo)!
    const repeat = seen.has(check.order.orderNo)
    seen.add(check.order.orderNo)
    if (outcome.result === 'stale') return { order_no: orderNo, result: 'stale', reason: 'a version of this order stated later is already stored; this one was not applied', matched: outcome.customerId !== null }
    return { order_no: orderNo, result: repeat ? 'updated' : outcome.result, matched: outcome.customerId !== null }
  })
}

/** The raw bytes of the body: the signature is over them, not over any decoding of them. */
async function readBody(req: Parameters<typeof getRawBody>[0], contentLength: string): Promise<Buffer> {
  try {
    return await getRawBody(req, { limit: ORDER_WEBHOOK_BODY_LIMIT, length: contentLength || undefined })
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') throw payloadTooLarge('A request body is at most 1 MB: send at most 500 orders a request')
    throw badRequest('The request body could not be read')
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    throw badRequest('The request body is not UTF-8 JSON')
  }
}

/** `POST /api/integrations/orders/:source`: authenticated by its signature, not by a session. */
export function orderWebhookRoutes({ dataSource, timeZone, logger }: { dataSource: DataSource; timeZone: string; logger: Logger }): Router {
  const router = new Router({ prefix: '/api/integrations' })

  router.post('/orders/:source', async (ctx) => {
    const { source: name } = parseParams(ctx, sourcePath)
    const source = await findSource(dataSource.manager, name)
    if (!source) throw notFound(`No order source named "${name}"; add it with npm run sources -- add`)
    const body = await readBody(ctx.req, ctx.get('content-length'))
    try {
      verifySignedRequest(source.secret, { timestamp: ctx.get('x-scrm-timestamp') || undefined, signature: ctx.get('x-scrm-signature') || undefined }, body)
    } catch (error) {
      if (error instanceof SignatureRejected) throw unauthorized(error.message)
      throw error
    }

    const request = envelope.safeParse(parseJson(body))
    if (!request.success) throw validationFailed(`The body must be {"orders": [...]} with 1–${ORDER_WEBHOOK_MAX_ORDERS} orders: ${request.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}`)

    const orders = request.data.orders
    const checked = orders.map((entry): Checked => {
      try {
        return { order: checkOrder(entry, source.platform, timeZone) }
      } catch (error) {
        if (error instanceof OrderRejected) return { reason: error.message }
        throw error
      }
    })
    const valid = checked.flatMap((check) => ('order' in check ? [check.order] : []))
    const statedAt = new Date(Number(ctx.get('x-scrm-timestamp')) * 1000)
    const saved =
      valid.length === 0
        ? []
        : await upsertTransaction(dataSource, async (tx) => {
            const orders = await saveOrders(tx, valid, { source: `webhook:${source.name}`, statedAt })
            await noteOrdersReceived(tx, source)
            return orders
          })
    const results = presentResults(orders, checked, saved)

    logger.info({ source: source.name, orders: orders.length, saved: valid.length, rejected: orders.length - valid.length }, 'webhook orders received')
    ctx.body = { results }
  })

  return router
}
