import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { CONFIG_VARIABLES } from '../../config'
import { REPO_ROOT } from './serverProcess'

const TSX = `${REPO_ROOT}node_modules/.bin/tsx`
const POLL_MS = 25

export interface MeasuredRun {
  code: number | null
  seconds: number
  /** The largest peak resident set (VmHWM) of any process of the command: tsx runs our code in a child. */
  peakRssBytes: number
  /** The last lines of stdout and stderr. */
  tail: string[]
}

/** Peak RSS so far of `pid` and its descendants, from /proc (Linux). */
function peakRssOfTree(pid: number): number {
  let peak = 0
  const visit = (p: number) => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024)
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) visit(Number(child))
    } catch {
      // Gone between two reads.
    }
  }
  visit(pid)
  return peak
}

/** Runs one of our entry points as npm would, timing it and sampling its peak memory. */
export async function runMeasured(script: string, args: string[], env: Record<string, string>): Promise<MeasuredRun> {
  const ours = new Set([...CONFIG_VARIABLES, 'TZ'])
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !ours.has(key)))
  const started = process.hrtime.bigint()
  const child = spawn(TSX, ['--tsconfig', `${REPO_ROOT}tsconfig.json`, `${REPO_ROOT}${script}`, ...args], { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const tail: string[] = []
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean))
    tail.splice(0, Math.max(0, tail.length - 20))
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  let peakRssBytes = 0
  // VmHWM only grows, so sampling catches the peak unless it comes in the last few ms.
  const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, peakRssOfTree(child.pid!))), POLL_MS)
  const [code] = (await once(child, 'exit')) as [number | null]
  clearInterval(sampler)
  return { code, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssBytes, tail }
}
