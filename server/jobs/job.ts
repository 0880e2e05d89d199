/** What a scheduled job is and what it gets: the registry lists jobs; each job imports only this. */
import type { DataSource } from 'typeorm'
import type { Config } from '../../config'
import type { Clock } from '../clock'
import type { Logger } from '../logger'
import type { ReminderRules } from '../rules/reminderRules'
import type { WecomRuntime } from '../wecom/runtime'

export interface JobContext {
  config: Config
  dataSource: DataSource
  logger: Logger
  wecom: WecomRuntime
  /** Where a job reports its progress and result for people (stdout in the CLI). */
  print: (line: string) => void
  /** Aborted when the run lost its claim (its lease lapsed and another process took over): stop sending. */
  signal: AbortSignal
  /** Who runs it (its claim's owner): deliveries are claimed in that name. */
  owner: string
  /** Time for pacing and back-off; tests inject one. */
  clock?: Clock
}

export interface JobOptions {
  /** The business date, YYYY-MM-DD in SCRM_TIMEZONE. */
  date: string
  dryRun: boolean
}

export interface JobResult {
  /** One line for people and for job_runs.summary. */
  summary: string
  /** False when some of the work failed and a later run should try it again. */
  complete: boolean
}

/** A scheduled job: small, named, and run by the scheduler or by `npm run job -- <name>`. */
export interface Job {
  name: string
  /** Cron expression in SCRM_TIMEZONE, by the configuration and the reminder rules as they are now. */
  schedule: (config: Config, rules: ReminderRules) => string
  /**
   * Made up later the same business day when no process was up at its time (or its run
   * failed). The digest is; the nightly reconcile is not: a full sync at every daytime
   * restart would cost WeCom calls for drift the next night repairs anyway.
   */
  catchUp: boolean
  run(context: JobContext, options: JobOptions): Promise<JobResult>
}
