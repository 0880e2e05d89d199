import { Worker } from 'node:worker_threads'
import type { CpuSubject } from './cpuTime.worker'

/**
 * What any input may cost us, CPU-wise: a constant plus 1 ms per KB. Generous for a noisy,
 * shared 2-core machine (a 64 KB shape once took 122 ms with four other processes on both
 * cores), yet a super-linear step blows it by orders of magnitude at 64 KB.
 */
export function cpuBudgetMs(bytes: number, baseMs = 100): number {
  return baseMs + bytes / 1024
}

// A worker does not inherit tsx's loader (nor take `--import tsx`): it registers tsx itself, then loads the entry.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads')
import(workerData.tsx).then(({ register }) => { register(); return import(workerData.entry) })
`
const TSX_API = import.meta.resolve('tsx/esm/api')
const ENTRY = new URL('./cpuTime.worker.ts', import.meta.url).href

/**
 * Milliseconds each named input costs `subject` (the least of up to three runs when one is
 * over budget), measured in a worker thread that is terminated after `timeoutMs`: code that
 * spins fails its test within the timeout, naming the input, instead of holding the whole run.
 */
export function cpuTimes(subject: CpuSubject, inputs: Record<string, string>, timeoutMs = 10_000): Promise<Record<string, number>> {
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { tsx: TSX_API, entry: ENTRY, subject, inputs: Object.entries(inputs) } })
  const times: Record<string, number> = {}
  return new Promise<Record<string, number>>((resolve, reject) => {
    const timer = setTimeout(() => {
      const stuck = Object.keys(inputs).find((name) => !(name in times))
      reject(new Error(`${subject} spent over ${timeoutMs} ms in all, and did not finish ${stuck}`))
    }, timeoutMs)
    worker.on('message', (timed: [name: string, ms: number] | 'done') => {
      if (timed !== 'done') return void (times[timed[0]] = timed[1])
      clearTimeout(timer)
      resolve(times)
    })
    worker.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  }).finally(() => worker.terminate())
}
