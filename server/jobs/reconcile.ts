import { fullSync } from '../sync/fullSync'
import type { Job } from './registry'

/**
 * Nightly: the full sync again, reporting the drift it repaired, i.e. what callbacks
 * never told us (API-made changes send none, and missed callbacks are not resent).
 */
export const reconcileJob: Job = {
  name: 'reconcile',
  schedule: () => '30 3 * * *',
  catchUp: false,
  async run({ dataSource, wecom, print }, { dryRun }) {
    if (dryRun) return { summary: 'dry run: reconcile would run a full sync and repair drift; nothing read or written', complete: true }
    const summary = await fullSync(dataSource, wecom.client)
    const drift = `customers +${summary.customers.created} ~${summary.customers.updated}, follows +${summary.follows.created} ~${summary.follows.updated} -${summary.follows.removed}, tags +${summary.tags.created} ~${summary.tags.updated} -${summary.tags.removed}`
    print(`reconcile: drift repaired: ${drift}`)
    return { summary: drift, complete: true }
  },
}
