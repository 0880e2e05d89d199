import type { Teardown } from './teardown'

/** A table for the terminal; the first column is left-aligned, the others right-aligned. */
export interface ResultTable {
  title: string
  columns: string[]
  rows: string[][]
}

/**
 * One figure a budget is about, beside its floor measured in the same run (SPEC §7): the
 * line the summary at the end of `npm run bench` shows.
 */
export interface Headline {
  /** What was measured, e.g. `ack p99, WeCom API 0 ms`. */
  what: string
  /** The figure with its unit, e.g. `12.3 ms`. */
  figure: string
  /** The floor's same figure, or null where the budget has none. */
  floor: string | null
  /** figure ÷ floor, or null without a floor. */
  ratio: number | null
  /** The budget this line is judged by, e.g. `≤ 50 ms`. */
  budget: string
  passed: boolean
}

export interface BenchmarkReport {
  /** Whether every budget this benchmark checks was met. */
  passed: boolean
  /** One line per budget checked, e.g. `callback ack p99 ≤ 50 ms … : PASS`. */
  verdicts: string[]
  /** The figures the summary shows, each beside its floor. */
  headlines: Headline[]
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
