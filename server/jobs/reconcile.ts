import { upsertTransaction } from '../db/transaction'
import { matchAllWaitingOrders } from '../orders/identities'
import { startRecordedSync } from '../sync/syncRuns'
import type { Job } from './job'

/**
 * Nightly: the full sync again, reporting the drift it repaired, i.e. what callbacks
 * never told us (API-made changes send none, and missed callbacks are not resent).
 * Recorded in sync_runs; when a sync is running already it repairs the same drift, so none starts.
 */
export const reconcileJob: Job = {
  name: 'reconcile',
  schedule: () => '30 3 * * *',
  catchUp: false,
  async run({ dataSource, wecom, logger, print }, { dryRun }) {
    if (dryRun) return { summary: 'dry run: reconcile would run a full sync and repair drift; nothing read or written', complete: true }
    const start = await startRecordedSync(dataSource, wecom.client, { origin: 'reconcile', actorMemberId: null, logger })
    if (!start.started) return { summary: `a full sync is already running (sync run #${start.run.id}); reconcile skipped tonight`, complete: true }
    const outcome = await start.finished
    if (outcome.status === 'failed') throw outcome.error
    const { summary } = outcome
    // Orders whose binding raced past them (an import beside a sync) are matched here.
    const matched = await upsertTransaction(dataSource, (tx) => matchAllWaitingOrders(tx))
    const drift = `customers +${summary.customers.created} ~${summary.customers.updated}, follows +${summary.follows.created} ~${summary.follows.updated} -${summary.follows.removed}, tags +${summary.tags.created} ~${summary.tags.updated} -${summary.tags.removed}, waiting orders matched ${matched}`
    print(`reconcile: drift repaired: ${drift}`)
    return { summary: drift, complete: true }
  },
}
