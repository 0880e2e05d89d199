import { createConnection } from 'mysql2/promise'
import { createLogger } from '../server/logger'
import { ensurePagesBuilt } from '../server/pageAssets'
import { prepareMigratedTemplate } from './database'

/**
 * Checks the databases the run needs, migrates one template of each for migratedDatabase()
 * to copy, and builds the sidebar and the console once for every test. Returns what drops the templates.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  // vitest loads this module afresh for each project; the work is the same for all.
  if (process.env.SCRM_TEST_PREPARED) return
  process.env.SCRM_TEST_PREPARED = '1'
  return prepare()
}

async function prepare(): Promise<() => Promise<void>> {
  const mysqlUrl = process.env.TEST_MYSQL_URL
  const required = process.env.REQUIRE_MYSQL === '1'
  if (!mysqlUrl) {
    if (required) throw new Error('REQUIRE_MYSQL=1 but TEST_MYSQL_URL is not set')
    console.warn('\n⚠  MySQL suite SKIPPED: TEST_MYSQL_URL is not set; only SQLite runs.\n')
  } else {
    try {
      const connection = await createConnection({ uri: mysqlUrl, connectTimeout: 5_000 })
      await connection.end()
    } catch (error) {
      throw new Error(`TEST_MYSQL_URL is set but MySQL does not answer: ${(error as Error).message}`)
    }
  }
  const [dropTemplates] = await Promise.all([
    Promise.all([prepareMigratedTemplate('sqlite'), ...(mysqlUrl ? [prepareMigratedTemplate('mysql')] : [])]),
    buildPagesForProduction(),
  ])
  return async () => {
    for (const drop of dropTemplates) await drop()
  }
}

/**
 * The pages as production builds them: Vite builds what NODE_ENV names, and vitest sets it to
 * 'test', which would keep Vue's development code (the bundle test would weigh that instead,
 * and the browser tests would run it).
 */
async function buildPagesForProduction(): Promise<void> {
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await ensurePagesBuilt(createLogger('warn'))
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
  }
}
