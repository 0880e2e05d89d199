import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import Database from 'better-sqlite3'
import type { DatabaseConfig } from '../../config'
import type { SimulatorSnapshot } from '../../simulator'

/**
 * The demo's WeCom kept beside its database, so that a restarted demo and every command run
 * in demo mode see the same company (SPEC §4.7). Three files next to data/scrm.sqlite:
 *
 * - `scrm.simulator.json`: the simulator's state and the demo app's credentials, replaced
 *   atomically (tmp file + rename), so a reader never sees half a file.
 * - `scrm.simulator.lock`: whoever holds it owns the state (one writer). The OS drops the
 *   lock with its process, so a killed demo leaves nothing stale behind.
 * - `scrm.simulator.owner.json`: who holds it, and, for a running demo, its simulator's URL,
 *   so a command run beside the demo talks to that simulator instead of a copy.
 */

export interface DemoStatePaths {
  state: string
  lock: string
  owner: string
}

/** The demo app's secrets: kept with the state, because a command talking to a running demo must log in to its simulator. */
export interface DemoCredentials {
  secret: string
  token: string
  aesKey: string
}

export interface DemoStateFile {
  version: 1
  credentials: DemoCredentials
  simulator: SimulatorSnapshot
}

export interface DemoOwner {
  pid: number
  role: 'server' | 'command'
  /** The running demo's simulator on loopback; null while it is starting. */
  apiBase: string | null
}

/** The files beside a SQLite database; a MySQL demo keeps them in data/, named after the database. */
export function demoStatePaths(database: DatabaseConfig): DemoStatePaths {
  const base =
    database.kind === 'sqlite'
      ? join(dirname(database.path), basename(database.path, extname(database.path)))
      : join('data', decodeURIComponent(new URL(database.url).pathname.slice(1)) || 'demo')
  return { state: `${base}.simulator.json`, lock: `${base}.simulator.lock`, owner: `${base}.simulator.owner.json` }
}

/** The kept state, or null when there is none yet; a file we cannot read stops the demo with its name. */
export function readDemoState(path: string): DemoStateFile | null {
  if (!existsSync(path)) return null
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as DemoStateFile
    if (parsed.version !== 1 || !parsed.credentials || !parsed.simulator) throw new Error('not a simulator state of this version')
    return parsed
  } catch (error) {
    throw new Error(`cannot read the demo's simulator state ${path}: ${(error as Error).message}. Delete it, and the database beside it, to start the demo company afresh.`)
  }
}

/** Writes beside the target, then renames over it: readers see the old file or the new one. */
export function writeFileAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, content)
  renameSync(temporary, path)
}

export interface StatePersister {
  /** Saves soon; many changes in a burst make one write. */
  schedule(): void
  /** Saves now if anything changed since the last save. */
  flush(): void
}

/** Debounced saving of `read()` to `path`. */
export function createStatePersister(path: string, read: () => DemoStateFile, debounceMs = 200): StatePersister {
  let timer: NodeJS.Timeout | undefined
  let dirty = false
  const flush = () => {
    clearTimeout(timer)
    timer = undefined
    if (!dirty) return
    dirty = false
    writeFileAtomically(path, JSON.stringify(read()))
  }
  return {
    schedule() {
      dirty = true
      // unref: a pending save never keeps a finishing process alive; close() flushes it.
      timer ??= setTimeout(flush, debounceMs).unref()
    },
    flush,
  }
}

export interface DemoStateLock {
  /** Tells commands run beside us where our simulator is. */
  announce(owner: Omit<DemoOwner, 'pid'>): void
  release(): void
}

/**
 * Takes the lock, or answers null when another live process holds it. A SQLite file held in
 * an exclusive transaction is a lock that every platform releases when its process dies.
 */
export function tryLockDemoState(paths: DemoStatePaths, role: DemoOwner['role']): DemoStateLock | null {
  mkdirSync(dirname(paths.lock), { recursive: true })
  const db = new Database(paths.lock, { timeout: 0 })
  try {
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
  } catch (error) {
    db.close()
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return null
    throw error
  }
  const announce = (owner: Omit<DemoOwner, 'pid'>) => writeFileAtomically(paths.owner, JSON.stringify({ pid: process.pid, ...owner }))
  announce({ role, apiBase: null })
  return {
    announce,
    release() {
      rmSync(paths.owner, { force: true })
      db.exec('COMMIT')
      db.close()
    },
  }
}

/** Who holds the lock, as they announced it; null when unreadable (being replaced, or never written). */
export function readDemoOwner(paths: DemoStatePaths): DemoOwner | null {
  try {
    return JSON.parse(readFileSync(paths.owner, 'utf8')) as DemoOwner
  } catch {
    return null
  }
}
