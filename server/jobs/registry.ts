import type { DataSource } from 'typeorm'
import type { Config } from '../../config'
import type { Logger } from '../logger'
import type { WecomRuntime } from '../wecom/runtime'
import { reconcileJob } from './reconcile'

export interface JobContext {
  config: Config
  dataSource: DataSource
  logger: Logger
  wecom: WecomRuntime
  /** Where a job reports its progress and result for people (stdout in the CLI). */
  print: (line: string) => void
}

export interface JobOptions {
  /** The business date, YYYY-MM-DD in SCRM_TIMEZONE. */
  date: string
  dryRun: boolean
}

/** A scheduled job: small, named, and run by the scheduler or by `npm run job -- <name>`. */
export interface Job {
  name: string
  /** Cron expression in SCRM_TIMEZONE. */
  schedule: (config: Config) => string
  run(context: JobContext, options: JobOptions): Promise<string>
}

export const jobs: Job[] = [reconcileJob]

export const findJob = (name: string) => jobs.find((job) => job.name === name)
