/** `npm run job -- <name> [--date YYYY-MM-DD] [--dry-run]`: runs one scheduled job now. */
import { parseArgs } from 'node:util'
import { findJob, jobs } from '../jobs/registry'
import { runJob } from '../jobs/runJob'
import { businessDate } from '../time'
import { fail, openCommandContext } from './bootstrap'

const usage = `Usage: npm run job -- <${jobs.map((job) => job.name).join('|')}> [--date YYYY-MM-DD] [--dry-run]`
let parsed
try {
  parsed = parseArgs({ allowPositionals: true, options: { date: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } } })
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`)
}
const [name] = parsed.positionals
const job = name ? findJob(name) : undefined
if (!job) fail(name ? `Unknown job "${name}".\n${usage}` : usage)
const date = parsed.values.date
if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date)) fail(`--date must be YYYY-MM-DD, not "${date}"`)

const context = await openCommandContext(`npm run job -- ${job.name}`)
try {
  const outcome = await runJob(job, { ...context, print: (line) => process.stdout.write(`${line}\n`) }, {
    date: date ?? businessDate(new Date(), context.config.timezone),
    dryRun: parsed.values['dry-run'] ?? false,
    // Run by hand: a date already done runs again; the deliveries ledger sends nothing twice.
    rerunDone: true,
  })
  process.stdout.write(`${job.name}: ${outcome.summary}\n`)
  if (outcome.status === 'failed') process.exitCode = 1
} catch (error) {
  process.stderr.write(`${job.name} failed: ${(error as Error).message}\n`)
  process.exitCode = 1
} finally {
  await context.close()
}
