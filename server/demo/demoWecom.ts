import { randomBytes } from 'node:crypto'
import type { DataSource } from 'typeorm'
import type { Config, WecomConfig } from '../../config'
import { createSimulator, type Simulator } from '../../simulator'
import type { Logger } from '../logger'
import { fullSync } from '../sync/fullSync'
import type { WecomClient } from '../wecom/client'
import { DEMO_AGENT_ID, DEMO_CORP_ID, DEMO_TEAM_ROBOT_KEY, demoCompany, seedDemoContent } from './company'
import {
  createStatePersister,
  demoStatePaths,
  readDemoOwner,
  readDemoState,
  tryLockDemoState,
  type DemoCredentials,
  type DemoOwner,
  type DemoStateLock,
  type DemoStatePaths,
} from './demoState'

export const SIMULATOR_PATH = '/wecom-sim'
export const DEMO_ROBOT_KEY = 'demo-robot-key'

/** How long a demo start or a command waits for another command to finish with the state. */
const LOCK_WAIT_MS = 60_000
const LOCK_POLL_MS = 200

const alphanumeric = (length: number) => randomBytes(length * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, length)

export interface DemoWecom {
  wecom: WecomConfig
  simulator: Simulator
  /** Stops the simulator, saves its state and lets the next process have it. */
  close(): Promise<void>
}

/**
 * Demo mode's WeCom for `npm start`: the simulator over the state kept beside the database
 * (the demo company on a first start), saved as it changes. Our server calls it on its own
 * loopback port; browsers reach the same simulator through the main server at /wecom-sim.
 */
export async function startDemoWecom(config: Config): Promise<DemoWecom> {
  const paths = demoStatePaths(config.database)
  const held = await waitForLock(paths, 'server', (owner) => {
    if (owner?.role === 'server') throw new Error(`a demo (pid ${owner.pid}) is already running on this database; stop it first, or set DATABASE_URL to another file`)
    return false
  })
  // Never null: a demo start waits for commands and never gives way.
  const lock = held!
  try {
    const demo = await ownSimulator(config, paths, lock)
    lock.announce({ role: 'server', apiBase: demo.wecom.apiBase })
    return demo
  } catch (error) {
    lock.release()
    throw error
  }
}

export interface DemoConnection {
  wecom: WecomConfig
  /** How the command reaches the demo's WeCom, for a line on its output. */
  description: string
  /** The kept state did not exist: the demo company was just seeded, and our database has not seen it yet. */
  fresh: boolean
  close(): Promise<void>
}

/**
 * Demo mode's WeCom for a one-shot command: the running demo's simulator when one is up
 * (so the demo page shows what the command did), else a simulator of the command's own over
 * the kept state, saved when the command ends. Never two writers of one state.
 */
export async function connectDemoWecom(config: Config): Promise<DemoConnection> {
  const paths = demoStatePaths(config.database)
  let running: DemoOwner | undefined
  const lock = await waitForLock(paths, 'command', (owner) => {
    if (owner?.role === 'server' && owner.apiBase) running = owner
    return running !== undefined
  })
  if (!lock) {
    const state = readDemoState(paths.state)
    if (!state) throw new Error(`the running demo (pid ${running!.pid}) has not saved ${paths.state} yet; try again in a moment`)
    return {
      wecom: demoWecomConfig(config, state.credentials, running!.apiBase!),
      description: `the running demo's WeCom simulator (pid ${running!.pid})`,
      fresh: false,
      close: async () => {},
    }
  }
  try {
    const fresh = readDemoState(paths.state) === null
    const demo = await ownSimulator(config, paths, lock)
    return { wecom: demo.wecom, description: `the demo's WeCom simulator, kept in ${paths.state}`, fresh, close: demo.close }
  } catch (error) {
    lock.release()
    throw error
  }
}

/**
 * Brings the simulator's company into our database the way a real sync would, then adds the
 * demo's orders and scripts: at a demo start, and in a first command on a fresh demo.
 */
export async function syncDemoCompany(dataSource: DataSource, client: WecomClient, logger: Logger): Promise<void> {
  const summary = await fullSync(dataSource, client, { logger })
  await seedDemoContent(dataSource)
  logger.info({ customers: summary.customers, follows: summary.follows }, 'demo company synced from the simulator')
}

/**
 * The lock, once nobody else holds it. `whenHeld` sees the holder's announcement on every
 * try: it may throw to give up, or answer true to stop waiting (then the answer is null).
 */
async function waitForLock(paths: DemoStatePaths, role: DemoOwner['role'], whenHeld: (owner: DemoOwner | null) => boolean): Promise<DemoStateLock | null> {
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    const lock = tryLockDemoState(paths, role)
    if (lock) return lock
    const owner = readDemoOwner(paths)
    if (whenHeld(owner) === true) return null
    if (Date.now() > deadline) {
      throw new Error(`${paths.state} is still in use by ${owner ? `pid ${owner.pid} (${owner.role === 'server' ? 'the demo, starting' : 'another command'})` : 'another process'}; try again when it has finished`)
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS))
  }
}

/** The simulator on loopback over the kept state (or the demo company), saving every change; the caller holds the lock. */
async function ownSimulator(config: Config, paths: DemoStatePaths, lock: DemoStateLock): Promise<DemoWecom> {
  const kept = readDemoState(paths.state)
  const credentials: DemoCredentials = kept?.credentials ?? { secret: alphanumeric(32), token: alphanumeric(16), aesKey: alphanumeric(43) }
  const simulator = createSimulator({ corpId: DEMO_CORP_ID, agentId: DEMO_AGENT_ID, ...credentials, basePath: SIMULATOR_PATH, robotKeys: [DEMO_ROBOT_KEY, DEMO_TEAM_ROBOT_KEY], publicUrl: `${config.publicUrl}${SIMULATOR_PATH}` })
  if (kept) simulator.restore(kept.simulator)
  else simulator.seed(demoCompany())
  const persister = createStatePersister(paths.state, () => ({ version: 1, credentials, simulator: simulator.snapshot() }))
  simulator.onChange = persister.schedule
  // Saved at once: a command started beside us reads the credentials from it.
  persister.schedule()
  persister.flush()
  const standalone = await simulator.listen(0)
  return {
    wecom: demoWecomConfig(config, credentials, standalone.url),
    simulator,
    close: async () => {
      await standalone.close()
      simulator.onChange = undefined
      persister.flush()
      lock.release()
    },
  }
}

function demoWecomConfig(config: Config, credentials: DemoCredentials, apiBase: string): WecomConfig {
  // Browsers reach the simulator's authorize and web login pages through the main server.
  const browserBase = `${config.publicUrl}${SIMULATOR_PATH}`
  return { corpId: DEMO_CORP_ID, agentId: DEMO_AGENT_ID, ...credentials, apiBase, oauthBase: browserBase, loginBase: browserBase, robotKey: DEMO_ROBOT_KEY }
}
