import { upsertTransaction } from '../db/transaction'
import { matchAllWaitingOrders } from '../orders/identities'
import { upkeepChannels } from '../channels/upkeep'
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
    // Channels first: WeCom sends no callback for a 「联系我」 way deleted there, or a media id running out.
    const upkeep = await upkeepChannels(dataSource, wecom.client, logger)
    for (const problem of upkeep.problems) print(`reconcile: ${problem}`)
    const channels = `channels gone from WeCom ${upkeep.gone.length}${upkeep.gone.length ? ` (${upkeep.gone.join('、')})` : ''}, finished ${upkeep.finished}, welcome images uploaded again ${upkeep.refreshed}`
    const start = await startRecordedSync(dataSource, wecom.client, { origin: 'reconcile', actorMemberId: null, logger })
    if (!start.started) return { summary: `a full sync is already running (sync run #${start.run.id}); reconcile skipped tonight; ${channels}`, complete: upkeep.problems.length === 0 }
    const outcome = await start.finished
    if (outcome.status === 'failed') throw outcome.error
    const { summary } = outcome
    // Orders whose binding raced past them (an import beside a sync) are matched here.
    const matched = await upsertTransaction(dataSource, (tx) => matchAllWaitingOrders(tx))
    const drift = `customers +${summary.customers.created} ~${summary.customers.updated}, follows +${summary.follows.created} ~${summary.follows.updated} -${summary.follows.removed}, tags +${summary.tags.created} ~${summary.tags.updated} -${summary.tags.removed}, waiting orders matched ${matched}; ${channels}`
    print(`reconcile: drift repaired: ${drift}`)
    return { summary: drift, complete: upkeep.problems.length === 0 }
  },
}
