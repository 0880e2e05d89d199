import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type Koa from 'koa'
import type { DataSource } from 'typeorm'
import type { Config } from '../config'
import { createApp } from './app'
import { createDataSource } from './db/dataSource'
import { migrate } from './db/migrate'
import { createRefresher } from './mirror/refresh'
import { createLossAlerter } from './bot/lossAlert'
import { Messenger } from './bot/messenger'
import { createDispatcher } from './inbox/dispatcher'
import { createProcessorRegistry } from './processors'
import { journalCallback } from './inbox/journal'
import { registerInboxGauges, startInboxWorker } from './inbox/worker'
import { jobs } from './jobs/registry'
import { startScheduler } from './jobs/scheduler'
import { createWecomRuntime } from './wecom/runtime'

/** Callbacks that arrive while the database is away wait here (SPEC §5). */
const SPOOL_DIR = 'data/inbox-spool'
import type { Logger } from './logger'

/** How long in-flight requests may take to finish once shutdown starts. */
const SHUTDOWN_GRACE_MS = 10_000

export interface RunningServer {
  url: string
  port: number
  dataSource: DataSource
  http: Server
  /** Demo mode: where browsers find the WeCom simulator's page. */
  simulatorPath?: string
  /** Stops accepting, lets in-flight requests finish, then closes the database. */
  stop(): Promise<void>
}

/** Opens the database, applies pending migrations under the lock, and serves HTTP, the inbox worker and the job scheduler. */
export async function startServer(configured: Config, logger: Logger): Promise<RunningServer> {
  const dataSource = createDataSource(configured.database)
  await dataSource.initialize()
  const closers: (() => Promise<void>)[] = []
  try {
    const applied = await migrate(dataSource)
    if (applied.length > 0) logger.info({ applied }, 'migrations applied')

    // Loaded only in demo mode: a production start never runs demo or simulator code.
    const demo = configured.demo ? await (await import('./demo/demoServer')).startDemoServer(configured) : null
    if (demo) closers.push(demo.close)
    // A demo run without ADMIN_USERIDS has the demo company's operator, so that the console opens for someone.
    const config = demo && configured.adminUserIds.length === 0 ? { ...configured, adminUserIds: demo.operators } : configured
    const wecom = createWecomRuntime(config.wecom ?? demo!.wecom, dataSource, { logger, spoolDir: SPOOL_DIR })
    const refresher = createRefresher(dataSource, wecom.client, logger)
    const worker = startInboxWorker({
      dataSource,
      logger,
      handle: createDispatcher(
        dataSource,
        createProcessorRegistry({
          dataSource,
          client: wecom.client,
          refresher,
          alertLoss: createLossAlerter({ dataSource, messenger: new Messenger(wecom.client, wecom.config), publicUrl: config.publicUrl, timeZone: config.timezone }),
          logger,
        }),
      ),
      beforeRound: async () => {
        if (wecom.spool.pendingFiles().length === 0) return
        const moved = await wecom.spool.drain((plaintext, receivedAt) => journalCallback(dataSource, plaintext, receivedAt))
        logger.info({ moved }, 'spooled callbacks moved into the inbox')
      },
    })
    closers.unshift(worker.stop)
    wecom.onJournaled = worker.wake
    registerInboxGauges(dataSource)

    const app = createApp({
      config,
      dataSource,
      logger,
      wecom,
      demo: demo?.mount,
    })
    const server = await listen(app, { port: config.port, host: config.host, dataSource, logger, closers })
    if (demo) {
      await demo.connect(urlOf(server.http.address() as AddressInfo, '127.0.0.1'), dataSource, wecom.client, logger)
      server.simulatorPath = demo.mount.simulatorPath
    }
    // After the demo's own sync, so a catch-up digest reads the synced company.
    const scheduler = startScheduler({ config, dataSource, logger, wecom }, jobs)
    closers.unshift(scheduler.stop)
    void scheduler.catchUp()
    return server
  } catch (error) {
    for (const close of closers) await close().catch(() => {})
    if (dataSource.isInitialized) await dataSource.destroy()
    throw error
  }
}

/**
 * Serves an app on a port (0: any free one) of an address (HOST; unset: Node's default, every
 * interface); stop() runs the closers, then closes the database.
 */
export async function listen(
  app: Koa,
  { port, host, dataSource, logger, closers = [] }: { port: number; host?: string; dataSource: DataSource; logger: Logger; closers?: (() => Promise<void>)[] },
): Promise<RunningServer> {
  const http = createServer(app.callback())
  http.listen(port, host)
  await once(http, 'listening')
  const address = http.address() as AddressInfo

  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= shutdown(http, dataSource, logger, closers))
  return { url: urlOf(address, 'localhost'), port: address.port, dataSource, http, stop }
}

/** A URL that reaches a bound address from this host: `wildcard` stands for "every interface". */
function urlOf({ address, family, port }: AddressInfo, wildcard: string): string {
  if (address === '0.0.0.0' || address === '::') return `http://${wildcard}:${port}`
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`
}

async function shutdown(http: Server, dataSource: DataSource, logger: Logger, closers: (() => Promise<void>)[]): Promise<void> {
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
  // Workers finish the event in hand before the database closes under them.
  for (const close of closers) await close()
  if (dataSource.isInitialized) await dataSource.destroy()
  logger.info('stopped')
}
