import type { DataSource } from 'typeorm'
import { ConfigError, loadConfig, type Config, type WecomConfig } from '../../config'
import { createDataSource } from '../db/dataSource'
import { migrate } from '../db/migrate'
import { createLogger, type Logger } from '../logger'
import { RATE_LIMIT_BLOCK_MS } from '../wecom/client'
import { createWecomRuntime, type WecomRuntime } from '../wecom/runtime'

/** Nobody waits on a page for a command: its WeCom calls may wait out a rate-limit block twice. */
const COMMAND_MAX_WAIT_MS = 2 * RATE_LIMIT_BLOCK_MS

export interface CommandContext {
  config: Config
  logger: Logger
  dataSource: DataSource
  wecom: WecomRuntime
  /** Lets go of WeCom (in demo mode: saves the simulator's state) and the database. */
  close(): Promise<void>
}

/** The configuration, or an exit with the message naming the bad variable. */
export function loadConfigOrFail(): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message)
    throw error
  }
}

/**
 * What every one-shot command needs: the configuration and a migrated database. Exits with
 * a clear message when it cannot have them.
 */
export async function openDatabase(config = loadConfigOrFail()): Promise<{ config: Config; dataSource: DataSource }> {
  const dataSource = createDataSource(config.database)
  try {
    await dataSource.initialize()
    await migrate(dataSource)
  } catch (error) {
    fail(`Cannot use the database: ${(error as Error).message}`)
  }
  return { config, dataSource }
}

/**
 * What a one-shot command against WeCom needs (sync, job): that, and the WeCom client. In
 * demo mode the WeCom is the demo's simulator, the running demo's or one over its kept
 * state (server/demo/demoWecom.ts), so every command works there too (SPEC §4.7).
 */
export async function openCommandContext(command: string): Promise<CommandContext> {
  const config = loadConfigOrFail()
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel)
  const { dataSource } = await openDatabase(config)
  const runtime = (wecom: WecomConfig) => createWecomRuntime(wecom, dataSource, { logger, spoolDir: 'data/inbox-spool', client: { maxWaitMs: COMMAND_MAX_WAIT_MS } })
  if (config.wecom) return { config, logger, dataSource, wecom: runtime(config.wecom), close: () => dataSource.destroy() }

  // Loaded only in demo mode, like the server's: a command against a real WeCom never runs simulator code.
  const { connectDemoWecom, syncDemoCompany } = await import('../demo/demoWecom')
  let demo
  try {
    demo = await connectDemoWecom(config)
  } catch (error) {
    await dataSource.destroy()
    fail(`${command}: cannot reach the demo's WeCom: ${(error as Error).message}`)
  }
  process.stderr.write(`演示模式 (demo mode): ${command} uses ${demo.description}\n`)
  const close = async () => {
    await demo.close()
    await dataSource.destroy()
  }
  const wecom = runtime(demo.wecom)
  if (demo.fresh) {
    // A first demo run: bring the demo company into our database, as npm start does.
    try {
      await syncDemoCompany(dataSource, wecom.client, logger)
    } catch (error) {
      await close()
      fail(`${command}: cannot set up the demo company: ${(error as Error).message}`)
    }
  }
  return { config, logger, dataSource, wecom, close }
}

export function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(2)
}
