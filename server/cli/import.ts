/** `npm run import -- scripts <file.csv>` (and, with issue 6, orders): bulk import with a report. */
import { createReadStream, existsSync } from 'node:fs'
import { ConfigError, loadConfig } from '../../config'
import { createDataSource } from '../db/dataSource'
import { migrate } from '../db/migrate'
import { CsvHeaderError } from '../imports/csvRecords'
import { importScripts } from '../scripts/importScripts'
import { fail } from './bootstrap'

const usage = 'Usage: npm run import -- scripts <file.csv>'
const [kind, file] = process.argv.slice(2)
if (kind !== 'scripts') fail(kind === 'orders' ? 'Order import is not built yet (it comes with the orders issue).' : usage)
if (!file) fail(usage)
if (!existsSync(file)) fail(`No such file: ${file}`)

let config
try {
  config = loadConfig()
} catch (error) {
  if (error instanceof ConfigError) fail(error.message)
  throw error
}
const dataSource = createDataSource(config.database)
await dataSource.initialize()
try {
  await migrate(dataSource)
  const tty = process.stderr.isTTY
  const summary = await importScripts(dataSource, createReadStream(file), (rows) => {
    if (tty) process.stderr.write(`\r已读取 ${rows} 行…`)
  })
  if (tty) process.stderr.write('\n')
  process.stdout.write(`scripts: created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${summary.rejected.length}\n`)
  for (const { line, reason } of summary.rejected) process.stdout.write(`  line ${line}: ${reason}\n`)
} catch (error) {
  process.stderr.write(`Import stopped: ${error instanceof CsvHeaderError ? error.message : (error as Error).message}\n`)
  process.exitCode = 2
} finally {
  await dataSource.destroy()
}
