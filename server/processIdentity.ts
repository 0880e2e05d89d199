/**
 * Who holds a lease on shared work (a job run, an outbox message): host, process, pid
 * namespace and a nonce, so that a claim of a process that died on this host is given up at
 * once instead of when its lease lapses.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, readlinkSync } from 'node:fs'
import { hostname } from 'node:os'

/**
 * The pid namespace we run in: a pid means a process only within one (containers sharing a
 * host name each have their own). Unknown off Linux: then no claim is ever judged abandoned.
 */
const PID_NAMESPACE = (() => {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? 'unknown'
  } catch {
    return 'unknown'
  }
})()

/** Who holds a claim: host, process and pid namespace, plus a nonce so that two runs of one process differ. */
export const newOwner = () => `${hostname()}:${process.pid}:${PID_NAMESPACE}:${randomBytes(4).toString('hex')}`

/** A claim made by a process on this host that no longer exists (it crashed or was killed). */
export function ownerIsGone(owner: string): boolean {
  const [host, pid, namespace] = owner.split(':')
  if (host !== hostname() || namespace !== PID_NAMESPACE || PID_NAMESPACE === 'unknown' || !/^\d+$/.test(pid ?? '') || Number(pid) === process.pid) return false
  try {
    process.kill(Number(pid), 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  // A killed process nobody reaped yet still answers signals: on Linux, its state says zombie.
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
