/** `npm run migrate`: apply pending migrations (under the lock) and exit. */
import { ConfigError, describeDatabase, loadConfig } from '../../config'
import { createDataSource } from '../db/dataSource'
import { migrate } from '../db/migrate'

try {
  const config = loadConfig()
  const dataSource = createDataSource(config.database)
  await dataSource.initialize()
  try {
    const applied = await migrate(dataSource)
    process.stdout.write(
      applied.length === 0
        ? `${describeDatabase(config.database)}: up to date\n`
        : `${describeDatabase(config.database)}: applied ${applied.join(', ')}\n`,
    )
  } finally {
    await dataSource.destroy()
  }
} catch (error) {
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `Migration failed: ${(error as Error).message}\n`)
  process.exit(1)
}
