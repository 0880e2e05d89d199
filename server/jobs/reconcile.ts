import { upsertTransaction } from '../db/transaction'
import { matchAllWaitingOrders } from '../orders/identities'
import { fullSync } from '../sync/fullSync'
import type { Job } from './job'

/**
 * Nightly: the full sync again, reporting the drift it repaired, i.e. what callbacks
 * never told us (API-made changes send none, and missed callbacks are not resent).
 */
export const reconcileJob: Job = {
  name: 'reconcile',
  schedule: () => '30 3 * * *',
  catchUp: false,
  async run({ dataSource, wecom, logger, print }, { dryRun }) {
    if (dryRun) return { summary: 'dry run: reconcile would run a full sync and repair drift; nothing read or written', complete: true }
    const summary = await fullSync(dataSource, wecom.client, { logger })
    // Orders whose binding raced past them (an import beside a sync) are matched here.
    const matched = await upsertTransaction(dataSource, (tx) => matchAllWaitingOrders(tx))
    const drift = `customers +${summary.customers.created} ~${summary.customers.updated}, follows +${summary.follows.created} ~${summary.follows.updated} -${summary.follows.removed}, tags +${summary.tags.created} ~${summary.tags.updated} -${summary.tags.removed}, waiting orders matched ${matched}`
    print(`reconcile: drift repaired: ${drift}`)
    return { summary: drift, complete: true }
  },
}
