/**
 * `npm run sync`: full sync from WeCom, with a progress bar on a TTY; resumes an interrupted one.
 * Recorded in sync_runs like the console's, so it shows on the 系统 page and never runs beside another.
 */
import type { SyncRunOrigin } from '../entities'
import type { SyncSummary } from '../sync/fullSync'
import { startRecordedSync } from '../sync/syncRuns'
import { openCommandContext } from './bootstrap'
import { createProgressBar } from './progressBar'

const { dataSource, wecom, logger, close } = await openCommandContext('npm run sync')
const bar = createProgressBar()
const labels = { members: '成员', tags: '标签', customers: '客户', removals: '清理' } as const
const startedFrom: Record<SyncRunOrigin, string> = { console: 'the console', cli: 'npm run sync', reconcile: 'the nightly reconcile' }
try {
  const start = await startRecordedSync(dataSource, wecom.client, {
    origin: 'cli',
    actorMemberId: null,
    logger,
    onProgress: ({ stage, done, total }) => bar.update(labels[stage], done, total),
  })
  if (!start.started) {
    const { run } = start
    process.stderr.write(
      `A full sync is already running (sync run #${run.id}, started ${run.startedAt.toISOString()} from ${startedFrom[run.origin]}); wait for it to finish, or watch it on the console's 系统 page.\n`,
    )
    // Nothing was synced.
    process.exitCode = 1
  } else {
    const outcome = await start.finished
    if (outcome.status === 'done') process.stdout.write(describe(outcome.summary))
    else stopped(outcome.error)
  }
} catch (error) {
  // Claiming the run failed (the database).
  stopped(error as Error)
} finally {
  await close()
}

function stopped(error: Error) {
  process.stderr.write(`Sync stopped: ${error.message}\nRun npm run sync again to resume where it stopped.\n`)
  process.exitCode = 1
}

function describe(s: SyncSummary): string {
  const counts = (c: { created: number; updated: number; removed: number }) => `created ${c.created}, updated ${c.updated}, removed ${c.removed}`
  return [
    `Sync ${s.resumed ? 'resumed and ' : ''}finished in ${s.seconds.toFixed(1)} s`,
    `  members    ${s.members}`,
    `  tags       ${counts(s.tags)}`,
    `  customers  ${counts(s.customers)}`,
    `  follows    ${counts(s.follows)}`,
    '',
  ].join('\n')
}
