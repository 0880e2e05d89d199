import type { Teardown } from './teardown'

/** A table for the terminal; the first column is left-aligned, the others right-aligned. */
export interface ResultTable {
  title: string
  columns: string[]
  rows: string[][]
}

export interface BenchmarkReport {
  /** Whether every budget this benchmark checks was met. */
  passed: boolean
  /** One line per budget checked, e.g. `callback ack p99 ≤ 50 ms … : PASS`. */
  verdicts: string[]
  tables: ResultTable[]
  /** Context a reader needs to judge the figures (machine, caveats, observations). */
  notes: string[]
  /** Everything measured, written to bench/results/<id>.json. */
  details: unknown
}

export interface BenchmarkContext {
  /** Register cleanups here: they run on success, on failure and on Ctrl-C. */
  teardown: Teardown
  /** Progress for the operator (stderr); the report goes to stdout. */
  progress(line: string): void
}

/** One entry of `npm run bench`: a SPEC §7 budget, measured. */
export interface Benchmark {
  /** Names the results file and selects the benchmark: `npm run bench -- <id>`. */
  id: string
  /** The budget as SPEC §7 states it. */
  budget: string
  run(context: BenchmarkContext): Promise<BenchmarkReport>
}
