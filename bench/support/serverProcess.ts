import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { CONFIG_VARIABLES } from '../../config'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TSX = `${REPO_ROOT}node_modules/.bin/tsx`

/** `npm start` prints `  sidebar   http://localhost:<port>/sidebar/` once it listens. */
const BANNER = /sidebar\s+https?:\/\/[^\s/]+:(\d+)\/sidebar\//

/** pino levels: 40 warn, 50 error, 60 fatal. */
const WARN_LEVEL = 40

export interface ServerLogSummary {
  /** Log lines at warn or above, by message. */
  warnings: Record<string, number>
  /** The last lines of output, for a failure message. */
  tail: string[]
}

export interface ServerProcess {
  pid: number
  port: number
  log(): ServerLogSummary
  /** SIGTERM (a graceful stop), then SIGKILL to the whole process group after `graceMs`. */
  stop(graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }>
}

/**
 * Starts `server/cli/start.ts` as `npm start` does, in a process of its own so that the load
 * generator never shares its event loop. It runs in its own process group: tsx runs the
 * server in a child of its own, and a SIGKILL must reach both.
 */
export async function startServerProcess({ env, cwd, startTimeoutMs }: { env: Record<string, string>; cwd: string; startTimeoutMs: number }): Promise<ServerProcess> {
  // Our configuration comes from `env` only, never from the developer's shell.
  const ours = new Set([...CONFIG_VARIABLES, 'TZ'])
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !ours.has(key)))
  const child = spawn(TSX, ['--tsconfig', `${REPO_ROOT}tsconfig.json`, `${REPO_ROOT}server/cli/start.ts`], {
    cwd,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const output = watchOutput(child.stdout!, child.stderr!)

  const port = await Promise.race([
    output.waitFor(BANNER).then((match) => Number(match[1])),
    exited.then(([code, signal]) => Promise.reject(new Error(`the server exited (${signal ?? code}) before listening:\n${output.summary().tail.join('\n')}`))),
    delay(startTimeoutMs).then(() => Promise.reject(new Error(`the server did not listen within ${startTimeoutMs} ms:\n${output.summary().tail.join('\n')}`))),
  ]).catch(async (error: Error) => {
    killGroup(child.pid!)
    throw error
  })

  let stopping: ReturnType<ServerProcess['stop']> | undefined
  const stop = async (graceMs: number) => {
    let killed = false
    if (child.exitCode === null && child.signalCode === null) {
      // Only tsx gets the SIGTERM: it relays it once; a second one would skip the graceful stop.
      child.kill('SIGTERM')
      const timer = setTimeout(() => {
        killed = true
        killGroup(child.pid!)
      }, graceMs)
      await exited
      clearTimeout(timer)
    }
    // tsx has exited; make sure the server it ran has too.
    if (groupAlive(child.pid!)) {
      killed = true
      killGroup(child.pid!)
    }
    const [code, signal] = await exited
    return { code, signal, killed }
  }
  return { pid: child.pid!, port, log: output.summary, stop: (graceMs) => (stopping ??= stop(graceMs)) }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // The group is gone already.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

/** Reads the server's output as lines: counts warnings, keeps a tail, and finds patterns. */
function watchOutput(...streams: NodeJS.ReadableStream[]) {
  const TAIL_LINES = 40
  const warnings: Record<string, number> = {}
  const tail: string[] = []
  const waiters = new Set<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }>()

  const onLine = (line: string) => {
    tail.push(line)
    if (tail.length > TAIL_LINES) tail.shift()
    const entry = parseLogLine(line)
    if (entry && entry.level >= WARN_LEVEL) warnings[entry.msg] = (warnings[entry.msg] ?? 0) + 1
    for (const waiter of waiters) {
      const match = line.match(waiter.pattern)
      if (match) {
        waiters.delete(waiter)
        waiter.resolve(match)
      }
    }
  }
  for (const stream of streams) {
    let partial = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()!
      lines.forEach(onLine)
    })
  }

  return {
    waitFor: (pattern: RegExp) => new Promise<RegExpMatchArray>((resolve) => waiters.add({ pattern, resolve })),
    summary: (): ServerLogSummary => ({ warnings: { ...warnings }, tail: [...tail] }),
  }
}

function parseLogLine(line: string): { level: number; msg: string } | null {
  if (!line.startsWith('{')) return null
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown }
    return typeof entry.level === 'number' ? { level: entry.level, msg: String(entry.msg ?? '') } : null
  } catch {
    return null
  }
}
