/** `npm run sync`: full sync from WeCom, with a progress bar on a TTY; resumes an interrupted one. */
import { fullSync, type SyncSummary } from '../sync/fullSync'
import { openCommandContext } from './bootstrap'
import { createProgressBar } from './progressBar'

const { dataSource, wecom, logger, close } = await openCommandContext('npm run sync')
const bar = createProgressBar()
const labels = { members: '成员', tags: '标签', customers: '客户', removals: '清理' } as const
try {
  const summary = await fullSync(dataSource, wecom.client, {
    logger,
    onProgress: ({ stage, done, total }) => bar.update(labels[stage], done, total),
  })
  process.stdout.write(describe(summary))
} catch (error) {
  process.stderr.write(`Sync stopped: ${(error as Error).message}\nRun npm run sync again to resume where it stopped.\n`)
  process.exitCode = 1
} finally {
  await close()
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
