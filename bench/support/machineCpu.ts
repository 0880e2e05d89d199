import { cpus } from 'node:os'

/**
 * Starts measuring the whole machine's CPU; the returned function gives the busy time since,
 * in % of one core (2 cores fully busy: 200 %). It tells whether the machine, rather than the
 * server, was the limit: the database and anything else running count too.
 */
export function measureMachineCpu(): () => number {
  const start = cpuTimes()
  return () => {
    const end = cpuTimes()
    const total = end.total - start.total
    return total > 0 ? ((end.busy - start.busy) / total) * 100 * cpus().length : NaN
  }
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0
  let total = 0
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle
    total += all
    busy += all - times.idle
  }
  return { busy, total }
}
