import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DataSource } from 'typeorm'
import type { Config } from '../config'
import { createApp } from './app'
import { createDataSource } from './db/dataSource'
import { migrate } from './db/migrate'
import type { Logger } from './logger'

/** How long in-flight requests may take to finish once shutdown starts. */
const SHUTDOWN_GRACE_MS = 10_000

export interface RunningServer {
  url: string
  port: number
  dataSource: DataSource
  http: Server
  /** Stops accepting, lets in-flight requests finish, then closes the database. */
  stop(): Promise<void>
}

/** Opens the database, applies pending migrations under the lock, and serves HTTP. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const dataSource = createDataSource(config.database)
  await dataSource.initialize()
  try {
    const applied = await migrate(dataSource)
    if (applied.length > 0) logger.info({ applied }, 'migrations applied')
  } catch (error) {
    await dataSource.destroy()
    throw error
  }

  const app = createApp({ config, dataSource, logger })
  const http = createServer(app.callback())
  http.listen(config.port)
  await once(http, 'listening')
  const port = (http.address() as AddressInfo).port

  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= shutdown(http, dataSource, logger))
  return { url: `http://localhost:${port}`, port, dataSource, http, stop }
}

async function shutdown(http: Server, dataSource: DataSource, logger: Logger): Promise<void> {
  logger.info('shutting down: no new connections, finishing requests in flight')
  const closed = new Promise<void>((resolve) => http.close(() => resolve()))
  // close() stops accepting; idle keep-alive sockets would otherwise hold it open.
  http.closeIdleConnections()
  const grace = setTimeout(() => {
    logger.warn('requests still in flight after the grace period; closing them')
    http.closeAllConnections()
  }, SHUTDOWN_GRACE_MS)
  await closed
  clearTimeout(grace)
  await dataSource.destroy()
  logger.info('stopped')
}
