/**
 * `npm run bench`: measures the SPEC §7 budgets, one benchmark after the other, prints a
 * table per benchmark and writes each one's figures to bench/results/<id>.json; the summary
 * at the end sets each headline figure beside its floor measured in the same run.
 * `npm run bench -- <id> …` runs only the named ones. Exits 1 when a budget is missed.
 * BENCH_MYSQL_URL names the MySQL server to create throwaway databases on
 * (default mysql://root@127.0.0.1:3306/).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { callbackAck } from './callbackAck'
import { channelFiguresBenchmark } from './channelFigures'
import { consoleTeamBenchmark } from './consoleTeam'
import { dailyDigest10mBenchmark, dailyDigestBenchmark } from './dailyDigest'
import { fullSyncBenchmark } from './fullSync'
import { orderImportBenchmark } from './orderImport'
import { sidebarPanelBenchmark } from './sidebarPanel'
import { welcomeBenchmark } from './welcome'
import type { Benchmark, BenchmarkReport, Headline } from './support/benchmark'
import { REPO_ROOT } from './support/serverProcess'
import { formatRatio, renderTable } from './support/table'
import { Teardown } from './support/teardown'

/** Every benchmark, in the order they run; the 10M digest last, as its company takes longest to make. */
const BENCHMARKS: Benchmark[] = [callbackAck, welcomeBenchmark, fullSyncBenchmark, sidebarPanelBenchmark, consoleTeamBenchmark, channelFiguresBenchmark, dailyDigestBenchmark, orderImportBenchmark, dailyDigest10mBenchmark]

const SUMMARY_COLUMNS = ['benchmark', 'what', 'measured', 'floor', 'ratio', 'budget', 'result']

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results')

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`)
const print = (text = '') => process.stdout.write(`${text}\n`)

/** The benchmarks named on the command line, or all of them. */
function selectBenchmarks(ids: string[]): Benchmark[] {
  if (ids.length === 0) return BENCHMARKS
  const unknown = ids.filter((id) => !BENCHMARKS.some((benchmark) => benchmark.id === id))
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((benchmark) => benchmark.id).join(', ')}`)
  }
  return BENCHMARKS.filter((benchmark) => ids.includes(benchmark.id))
}

/** What the figures were measured on: they mean little without it. */
function describeMachine() {
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
  } catch {
    // Not a git checkout: the figures still stand, just unattributed.
  }
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    commit,
  }
}

/** Runs one benchmark; its teardown runs whatever happens, Ctrl-C included. */
async function runBenchmark(benchmark: Benchmark): Promise<BenchmarkReport> {
  const teardown = new Teardown()
  const interrupted = (signal: NodeJS.Signals) => {
    progress(`${signal}: cleaning up…`)
    void teardown.run(progress).finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    return await benchmark.run({ teardown, progress })
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    await teardown.run(progress)
  }
}

/** A headline as a summary row: the figure, its floor, the ratio and the verdict. */
const headlineRow = (id: string, line: Headline) => [id, line.what, line.figure, line.floor ?? '–', formatRatio(line.ratio), line.budget, line.passed ? 'PASS' : 'FAIL']

function printReport(benchmark: Benchmark, report: BenchmarkReport): void {
  print(`== ${benchmark.id}: ${benchmark.budget}`)
  print(`\n${renderTable({ title: 'Beside the floor', columns: SUMMARY_COLUMNS, rows: report.headlines.map((line) => headlineRow(benchmark.id, line)) })}`)
  for (const table of report.tables) print(`\n${renderTable(table)}`)
  print()
  for (const note of report.notes) print(`  · ${note}`)
  print()
  for (const verdict of report.verdicts) print(`  ${verdict}`)
  print()
}

async function main(): Promise<void> {
  const selected = selectBenchmarks(process.argv.slice(2))
  const machine = describeMachine()
  mkdirSync(RESULTS_DIR, { recursive: true })
  const summary: string[][] = []
  for (const benchmark of selected) {
    const startedAt = new Date()
    progress(`${benchmark.id}: ${benchmark.budget}`)
    try {
      const report = await runBenchmark(benchmark)
      printReport(benchmark, report)
      const file = join(RESULTS_DIR, `${benchmark.id}.json`)
      const result = { benchmark: benchmark.id, budget: benchmark.budget, startedAt, passed: report.passed, verdicts: report.verdicts, machine, details: report.details }
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
      summary.push(...report.headlines.map((line) => headlineRow(benchmark.id, line)))
      // A report whose headlines all pass may still have failed a check of its own (a lost callback).
      if (!report.passed && report.headlines.every((line) => line.passed)) summary.push([benchmark.id, 'other checks', '', '', '', `see ${file}`, 'FAIL'])
    } catch (error) {
      // One broken benchmark must not hide the figures of the others.
      progress(`${benchmark.id} failed: ${(error as Error).stack ?? error}`)
      summary.push([benchmark.id, (error as Error).message.split('\n')[0]!, '', '', '', '', 'ERROR'])
    }
  }
  print(renderTable({ title: 'Summary: each figure beside its floor measured in the same run (ratio = figure ÷ floor)', columns: SUMMARY_COLUMNS, rows: summary }))
  if (summary.some((row) => row.at(-1) !== 'PASS')) process.exitCode = 1
}

await main()
