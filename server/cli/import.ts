/** `npm run import -- scripts|orders <file.csv>`: bulk import with a report (SPEC §3.4). */
import { createReadStream, existsSync, statSync } from 'node:fs'
import { CsvHeaderError } from '../imports/csvRecords'
import { importOrders } from '../orders/importOrders'
import { importScripts } from '../scripts/importScripts'
import { fail, openDatabase } from './bootstrap'
import { createProgressBar } from './progressBar'

const usage = 'Usage: npm run import -- scripts <file.csv>\n       npm run import -- orders <file.csv>'
const [kind, file] = process.argv.slice(2)
if (kind !== 'scripts' && kind !== 'orders') fail(usage)
if (!file) fail(usage)
if (!existsSync(file)) fail(`No such file: ${file}`)

const { config, dataSource } = await openDatabase()
try {
  const input = createReadStream(file)
  const size = statSync(file).size
  const bar = createProgressBar()
  // Progress in bytes read: the number of rows is not known until the end.
  const progress = () => bar.update(kind === 'orders' ? '导入订单' : '导入话术', Math.round((input.bytesRead / Math.max(1, size)) * 100), 100)
  if (kind === 'scripts') {
    const summary = await importScripts(dataSource, input, progress)
    process.stdout.write(`scripts: created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${summary.rejected.length}\n`)
    for (const { line, reason } of summary.rejected) process.stdout.write(`  line ${line}: ${reason}\n`)
  } else {
    const summary = await importOrders(dataSource, input, { timeZone: config.timezone, onProgress: progress })
    process.stdout.write(`orders: inserted ${summary.inserted}, updated ${summary.updated}, unmatched ${summary.unmatched}, rejected ${summary.rejected}\n`)
    if (summary.matchedAfter > 0) process.stdout.write(`  ${summary.matchedAfter} waiting orders matched by bindings made meanwhile\n`)
    for (const { line, reason } of summary.rejections) process.stdout.write(`  line ${line}: ${reason}\n`)
    if (summary.rejected > summary.rejections.length) process.stdout.write(`  … and ${summary.rejected - summary.rejections.length} more rejected lines\n`)
  }
} catch (error) {
  process.stderr.write(`Import stopped: ${error instanceof CsvHeaderError ? error.message : (error as Error).message}\n`)
  process.exitCode = 2
} finally {
  await dataSource.destroy()
}
