/**
 * Starts the callback ack's floor (ackFloorServer.ts) as a process of its own, as our server
 * runs, so that it never shares the load generator's event loop: one Node process, tsx's
 * loader in it (no child), appending to a file in `dir`.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { REPO_ROOT } from './serverProcess'

const BANNER = /ack-floor listening on (\d+)/

export interface AckFloor {
  pid: number
  port: number
  /** Bodies appended and fsyncs done so far (an fsync covers every body that waited for it). */
  counts(): Promise<{ appended: number; fsyncs: number }>
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>
}

export async function startAckFloor({ dir, startTimeoutMs }: { dir: string; startTimeoutMs: number }): Promise<AckFloor> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${REPO_ROOT}bench/support/ackFloorServer.ts`], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', ACK_FLOOR_FILE: join(dir, 'ack-floor.journal') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit')
  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the ack floor did not listen within ${startTimeoutMs} ms:\n${output}`)), startTimeoutMs)
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString()
      const match = output.match(BANNER)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    }
    child.stdout!.on('data', onOutput)
    child.stderr!.on('data', onOutput)
    void exited.then(([code, signal]) => fail(new Error(`the ack floor exited (${signal ?? code}) before listening:\n${output}`)))
  })

  return {
    pid: child.pid!,
    port,
    async counts() {
      const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) })
      return (await response.json()) as { appended: number; fsyncs: number }
    },
    async stop(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}
