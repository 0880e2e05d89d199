import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type Koa from 'koa'
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
  return listen(createApp({ config, dataSource, logger }), { port: config.port, dataSource, logger })
}

/** Serves an app on a port (0: any free one); stop() also closes its database. */
export async function listen(
  app: Koa,
  { port, dataSource, logger }: { port: number; dataSource: DataSource; logger: Logger },
): Promise<RunningServer> {
  const http = createServer(app.callback())
  http.listen(port)
  await once(http, 'listening')
  const boundPort = (http.address() as AddressInfo).port

  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= shutdown(http, dataSource, logger))
  return { url: `http://localhost:${boundPort}`, port: boundPort, dataSource, http, stop }
}

async function shutdown(http: Server, dataSource: DataSource, logger: Logger): Promise<void> {
  logger.info('shutting down: no new connections, finishing requests in flight')
  const closed = new Promise<void>((resolve) => http.close(() => resolve()))
  // close() stops accepting but keep-alive sockets would hold it open: close each one
  // as soon as its request in flight has been answered.
  const sweep = setInterval(() => http.closeIdleConnections(), 50)
  const grace = setTimeout(() => {
    logger.warn('requests still in flight after the grace period; closing them')
    http.closeAllConnections()
  }, SHUTDOWN_GRACE_MS)
  await closed
  clearInterval(sweep)
  clearTimeout(grace)
  await dataSource.destroy()
  logger.info('stopped')
}
