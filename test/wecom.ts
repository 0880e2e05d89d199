import type { DataSource } from 'typeorm'
import type { WecomConfig } from '../config'
import { createRefresher } from '../server/mirror/refresh'
import { fullSync } from '../server/sync/fullSync'
import { createLossAlerter } from '../server/bot/lossAlert'
import { Messenger } from '../server/bot/messenger'
import type { Clock } from '../server/clock'
import type { JobContext } from '../server/jobs/job'
import { newOwner } from '../server/processIdentity'
import { createDispatcher } from '../server/inbox/dispatcher'
import { createProcessorRegistry } from '../server/processors'
import { claimDueEvents, processInboxEvent, type InboxHandler } from '../server/inbox/worker'
import { createLogger, type Logger } from '../server/logger'
import { createWecomRuntime, type WecomRuntime } from '../server/wecom/runtime'
import { createSimulator, type SeedCompany, type Simulator } from '../simulator'
import type { RunningServer } from '../server/server'
import { parseConfig } from '../config'
import { freePort, serveApp } from './app'
import { buildCompany, TEST_OPERATOR } from './company'
import { migratedDatabase } from './database'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where links in the bot's messages point. */
export const TEST_PUBLIC_URL = 'https://scrm.example.com'

export const TEST_CREDENTIALS = {
  corpId: 'wwtest00000000001',
  agentId: 1000002,
  secret: 'test-app-secret',
  token: 'QDG6eK',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
}

export interface WecomHarness {
  dataSource: DataSource
  /** DATABASE_URL of the harness's database, for our commands run as child processes. */
  databaseUrl: string
  /** The variables that point our commands at this database and the simulator. */
  commandEnv(extra?: Record<string, string>): Record<string, string>
  simulator: Simulator
  wecom: WecomRuntime
  wecomConfig: WecomConfig
  /** The inbox's dispatcher over the real processor registry. */
  handle: InboxHandler
  /** Silent: tests that read log lines build their own. */
  logger: Logger
  /** Our server, serving /wecom/callback, when asked for with `serve`; the simulator's callbacks go to it. */
  server: RunningServer | null
  /** What a job run needs, printing into `printed`. */
  jobContext(options?: { clock?: Clock; config?: Record<string, string> }): Omit<JobContext, 'signal'> & { printed: string[] }
  /** Claims and handles inbox events until none is due; returns how many ran. */
  drainInbox(): Promise<number>
  cleanup(): Promise<void>
}

/**
 * A migrated database of this project's kind, the simulator on its own port (seeded with
 * the test company of test/company.ts unless told otherwise), and our WeCom runtime pointed
 * at it, with short back-offs so tests of retries stay fast.
 */
export async function startWecomHarness({
  seed = buildCompany(),
  serve = false,
  synced = false,
  robotKey = null,
  teamRobotKeys = [],
  clock,
}: {
  seed?: SeedCompany
  serve?: boolean
  /** The group robot's key, known to the simulator and set in our WeCom config. */
  robotKey?: string | null
  /** More group robots the simulator knows (teams' robots, set in 提醒规则, not in our config). */
  teamRobotKeys?: string[]
  /** One clock for the simulator (rate limits) and our messenger (pacing, back-off). */
  clock?: Clock
  /** Sync the simulator's company into the database (its members, customers, follows and tags; orders and scripts are the test's to build). */
  synced?: boolean
} = {}): Promise<WecomHarness> {
  const database = await migratedDatabase()
  const simulator = createSimulator({ ...TEST_CREDENTIALS, followUserPageSize: 2, robotKeys: [...(robotKey ? [robotKey] : []), ...teamRobotKeys], now: clock?.now })
  simulator.seed(seed)
  const listening = await simulator.listen(0)
  const wecomConfig: WecomConfig = { ...TEST_CREDENTIALS, apiBase: listening.url, oauthBase: listening.url, loginBase: listening.url, robotKey }
  const logger = createLogger('silent')
  const wecom = createWecomRuntime(wecomConfig, database.dataSource, {
    logger,
    spoolDir: join(mkdtempSync(join(tmpdir(), 'scrm-spool-')), 'spool'),
    client: { backoffBaseMs: 5, timeoutMs: 2_000, ...(clock ? { clock } : {}) },
  })
  const handle = createDispatcher(
    database.dataSource,
    createProcessorRegistry({
      dataSource: database.dataSource,
      client: wecom.client,
      refresher: createRefresher(database.dataSource, wecom.client, logger),
      alertLoss: createLossAlerter({ dataSource: database.dataSource, messenger: new Messenger(wecom.client, wecomConfig, clock), publicUrl: TEST_PUBLIC_URL, timeZone: 'Asia/Shanghai' }),
      logger,
    }),
  )
  if (synced) {
    await fullSync(database.dataSource, wecom.client, { logger })
  }
  let server: RunningServer | null = null
  if (serve) {
    const port = await freePort()
    const config = parseConfig({ PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, ADMIN_USERIDS: TEST_OPERATOR })
    server = await serveApp(database.dataSource, { wecom, config })
  }
  if (server) simulator.callbackUrl = `${server.url}/wecom/callback`
  const databaseUrl = database.url
  return {
    dataSource: database.dataSource,
    databaseUrl,
    logger,
    commandEnv: (extra = {}) => ({
      DATABASE_URL: databaseUrl,
      PUBLIC_URL: TEST_PUBLIC_URL,
      WECOM_CORP_ID: TEST_CREDENTIALS.corpId,
      WECOM_AGENT_ID: String(TEST_CREDENTIALS.agentId),
      WECOM_SECRET: TEST_CREDENTIALS.secret,
      WECOM_TOKEN: TEST_CREDENTIALS.token,
      WECOM_AES_KEY: TEST_CREDENTIALS.aesKey,
      WECOM_API_BASE: listening.url,
      WECOM_OAUTH_BASE: listening.url,
      WECOM_LOGIN_BASE: listening.url,
      ...(robotKey ? { WECOM_ROBOT_KEY: robotKey } : {}),
      SESSION_SECRET: 'test-session-secret-0123456789abcdef',
      LOG_LEVEL: 'warn',
      ...extra,
    }),
    simulator,
    wecom,
    wecomConfig,
    handle,
    server,
    jobContext({ clock: jobClock = clock, config: variables = {} } = {}) {
      const printed: string[] = []
      const config = parseConfig({ PUBLIC_URL: TEST_PUBLIC_URL, ...variables })
      return { config, dataSource: database.dataSource, logger: createLogger('silent'), wecom, clock: jobClock, owner: newOwner(), print: (line: string) => void printed.push(line), printed }
    },
    async drainInbox() {
      let ran = 0
      for (;;) {
        const events = await claimDueEvents(database.dataSource.manager, 50, 60_000)
        if (events.length === 0) return ran
        for (const event of events) {
          await processInboxEvent(event, { dataSource: database.dataSource, handle, logger: createLogger('silent'), retryBaseMs: 60_000 })
          ran++
        }
      }
    },
    async cleanup() {
      await server?.stop()
      await listening.close()
      await database.cleanup()
    },
  }
}

/** Calls the simulator received on one API path (e.g. '/cgi-bin/gettoken'). */
export const callsTo = (simulator: Simulator, path: string) => simulator.calls.filter((call) => call.path === path)
