import type { DataSource } from 'typeorm'
import { ConfigError, loadConfig, type Config } from '../../config'
import { createDataSource } from '../db/dataSource'
import { migrate } from '../db/migrate'
import { createLogger, type Logger } from '../logger'
import { createWecomRuntime, type WecomRuntime } from '../wecom/runtime'

export interface CommandContext {
  config: Config
  logger: Logger
  dataSource: DataSource
  wecom: WecomRuntime
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
 * What a one-shot command against WeCom needs (sync, job): that, and the WeCom client.
 */
export async function openCommandContext(command: string): Promise<CommandContext> {
  const config = loadConfigOrFail()
  if (!config.wecom) {
    fail(`${command} needs a WeCom app: set WECOM_CORP_ID and the other WECOM_* variables (see .env.example).\nIn demo mode, npm start syncs the demo company from its built-in simulator by itself.`)
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel)
  const { dataSource } = await openDatabase(config)
  return { config, logger, dataSource, wecom: createWecomRuntime(config.wecom, dataSource, { logger, spoolDir: 'data/inbox-spool' }) }
}

export function fail(message: string): never {
  process.stderr.write(`${message}\n`)
  process.exit(2)
}
