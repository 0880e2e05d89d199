import type { Readable } from 'node:stream'
import type { DataSource } from 'typeorm'
import { parallelWriters } from '../db/dialect'
import { upsertTransaction } from '../db/transaction'
import { csvRowBatches } from '../imports/csvRecords'
import { KnownCustomers, matchAllWaitingOrders } from './identities'
import { ORDER_FIELDS, OrderRejected, parseOrder, type OrderInput, type RawOrder } from './orderInput'
import { saveOrders } from './saveOrders'

export interface OrderImportSummary {
  inserted: number
  updated: number
  /** Saved without a customer: they wait for a binding. */
  unmatched: number
  /** Waiting orders (of this import or earlier ones) the sweep after the import matched. */
  matchedAfter: number
  rejected: number
  /** The first rejections, by line; a file of bad rows must not fill memory. */
  rejections: { line: number; reason: string }[]
}

/**
 * What makes a CSV row (values in the header's order) a RawOrder: the position of each order
 * field in the header, the last of a repeated name as a record by name would keep it, -1 for
 * an optional column the file lacks (read as empty). Written out field by field: an object
 * filled in a loop over ORDER_FIELDS took 210–265 ms per million rows against 43–62 ms.
 */
function rawOrderOf(header: readonly string[]): (values: readonly string[]) => RawOrder {
  const [platform, orderNo, status, paidAt, amount, items, externalUserid, unionid, phone, buyerId] = ORDER_FIELDS.map((name) => header.lastIndexOf(name))
  const at = (values: readonly string[], index: number) => (index < 0 ? '' : values[index]!)
  return (values) => ({
    platform: at(values, platform!),
    order_no: at(values, orderNo!),
    status: at(values, status!),
    paid_at: at(values, paidAt!),
    amount: at(values, amount!),
    items: at(values, items!),
    external_userid: at(values, externalUserid!),
    unionid: at(values, unionid!),
    phone: at(values, phone!),
    buyer_id: at(values, buyerId!),
  })
}

/** Rows written per transaction: big enough that round trips do not dominate, small enough to lock little. */
const BATCH = 2_000
const KEPT_REJECTIONS = 1_000

/**
 * `npm run import -- orders` (SPEC §3.4): streamed, every row checked, rejections by line,
 * written in batches (one transaction each) and idempotent on (platform, order_no): a
 * re-import, or a row repeating an earlier one, updates, so the last row wins.
 */
export async function importOrders(
  dataSource: DataSource,
  input: Readable,
  { timeZone, onProgress = () => {} }: { timeZone: string; onProgress?: (rows: number) => void },
): Promise<OrderImportSummary> {
  const summary: OrderImportSummary = { inserted: 0, updated: 0, unmatched: 0, matchedAfter: 0, rejected: 0, rejections: [] }
  const rejectLine = (line: number, reason: string) => {
    summary.rejected++
    if (summary.rejections.length < KEPT_REJECTIONS) summary.rejections.push({ line, reason })
  }
  const known = new KnownCustomers()
  const flush = async (batch: OrderInput[]) => {
    const saved = await upsertTransaction(dataSource, (tx) => saveOrders(tx, batch, { source: 'import', known }))
    for (const order of saved) {
      // An import states no time of its own, so none of it is 'stale'.
      summary[order.result === 'inserted' ? 'inserted' : 'updated']++
      if (order.customerId === null) summary.unmatched++
    }
    // A row repeating an earlier one of the batch updated it.
    summary.updated += batch.length - saved.length
  }

  // Batches are written while the next ones are read: on MySQL three at once (each on its own
  // connection), so the database and this process work side by side; on two cores a million
  // rows took 27.1–27.6 s with three, 29.3–30.3 s with two. A batch sharing an order with one
  // still being written waits for it: the later row must win.
  const inFlight = new Set<{ keys: Set<string>; done: Promise<void> }>()
  const maxInFlight = parallelWriters(dataSource, 3)
  let failure: unknown = null
  const write = async (full: OrderInput[]) => {
    const keys = new Set(full.map((o) => `${o.platform}\u0000${o.orderNo}`))
    const conflicts = () => [...inFlight].some((other) => [...keys].some((key) => other.keys.has(key)))
    while (inFlight.size >= maxInFlight || (inFlight.size > 0 && conflicts())) await Promise.race([...inFlight].map((f) => f.done))
    if (failure) throw failure
    const entry = {
      keys,
      done: flush(full).then(
        () => void inFlight.delete(entry),
        (error: unknown) => {
          failure ??= error
          inFlight.delete(entry)
        },
      ),
    }
    inFlight.add(entry)
  }

  let batch: OrderInput[] = []
  let rows = 0
  let rawOrder: ((values: readonly string[]) => RawOrder) | null = null
  // A stretch of the file at a time: one await for its few hundred rows, not one for each.
  for await (const { header, rows: records } of csvRowBatches(input, { required: ['platform', 'order_no', 'status', 'paid_at', 'amount'], optional: ['items', 'external_userid', 'unionid', 'phone', 'buyer_id'] })) {
    rawOrder ??= rawOrderOf(header)
    for (const record of records) {
      rows++
      if (!record.values) {
        rejectLine(record.line, record.reason)
        continue
      }
      try {
        batch.push(parseOrder(rawOrder(record.values), timeZone))
      } catch (error) {
        if (!(error instanceof OrderRejected)) throw error
        rejectLine(record.line, error.message)
        continue
      }
      if (batch.length >= BATCH) {
        await write(batch)
        batch = []
        onProgress(rows)
      }
    }
  }
  if (batch.length > 0) await write(batch)
  await Promise.all([...inFlight].map((f) => f.done))
  if (failure) throw failure
  // A binding made by another writer while we ran may fit orders we left waiting.
  summary.matchedAfter = await upsertTransaction(dataSource, (tx) => matchAllWaitingOrders(tx))
  onProgress(rows)
  return summary
}
