/** `npm start`: migrate under the lock, then serve HTTP, the inbox worker and the job scheduler. */
import type { AddressInfo } from 'node:net'
import { ConfigError, describeDatabase, loadConfig } from '../../config'
import { createLogger } from '../logger'
import { startServer } from '../server'
import { ensurePagesBuilt } from '../pageAssets'

let config
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`${error.message}\nSee .env.example for every variable.\n`)
  process.exit(1)
}

const logger = createLogger(config.logLevel)
try {
  await ensurePagesBuilt(logger)
  const server = await startServer(config, logger)
  const base = config.port === 0 ? server.url : config.publicUrl
  const address = server.http.address() as AddressInfo
  const listening = address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`
  logger.info({ address: listening, port: server.port, database: describeDatabase(config.database), demo: config.demo }, 'listening')
  process.stdout.write(
    [
      '',
      `wecom-scrm ${config.demo ? '演示模式 (demo mode: embedded SQLite, no WeCom needed)' : 'is running'}`,
      `  listening ${listening}${config.host === '0.0.0.0' ? ' (every interface; set HOST=127.0.0.1 for this machine only)' : ''}`,
      `  database  ${describeDatabase(config.database)}`,
      `  sidebar   ${base}/sidebar/`,
      `  console   ${base}/console/`,
      `  health    ${base}/healthz  ${base}/readyz  ${base}/metrics`,
      server.simulatorPath ? `  WeCom     ${base}${server.simulatorPath}/  (the simulator: make WeCom-side changes, read what the bot sent)` : '',
      config.demo ? '  Set WECOM_CORP_ID and friends (see .env.example) to connect a real WeCom.' : '',
      '',
    ]
      .filter((line, i) => line !== '' || i === 0)
      .join('\n') + '\n\n',
  )
  // A signal to the whole process group arrives more than once: the first starts the
  // shutdown, repeats must not kill it half-way (process.once would leave the default handler).
  let stopping = false
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return
      stopping = true
      server.stop().then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'shutdown failed')
          process.exit(1)
        },
      )
    })
  }
} catch (error) {
  logger.fatal({ err: error }, 'could not start')
  process.stderr.write(`Could not start: ${(error as Error).message}\n`)
  process.exit(1)
}
