import { readFileSync } from 'node:fs'
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

/**
 * Starts measuring CPU time the hypervisor gave to other guests (steal, from /proc/stat),
 * in % of one core. os.cpus() does not show it; when it is high, the figures measure the
 * neighbours, not our server. NaN where /proc/stat has no steal column.
 */
export function measureStolenCpu(): () => number {
  const start = stealTicks()
  return () => {
    const end = stealTicks()
    if (!start || !end || end.total === start.total) return NaN
    return ((end.steal - start.steal) / (end.total - start.total)) * 100 * cpus().length
  }
}

function stealTicks(): { steal: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal …
    if (fields.length < 8) return null
    return { steal: fields[7]!, total: fields.slice(0, 8).reduce((a, b) => a + b, 0) }
  } catch {
    return null
  }
}
