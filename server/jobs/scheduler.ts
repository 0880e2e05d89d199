import { createTask, type ScheduledTask } from 'node-cron'
import { businessDate, startOfBusinessDay } from '../time'
import type { Job, JobContext } from './job'
import { runJob } from './runJob'

/** How often a process looks for today's runs that are due but not done (missed, or failed). */
const CATCH_UP_EVERY_MS = 15 * 60_000
const MINUTE_MS = 60_000

export interface Scheduler {
  /** Runs every job whose time came today and whose run is not done; resolves when they finish. */
  catchUp(now?: Date): Promise<void>
  stop(): Promise<void>
}

/** Whether `task` was due at some whole minute of `now`'s business day, up to `now`. */
function dueEarlierToday(task: ScheduledTask, now: Date, timeZone: string): boolean {
  const start = startOfBusinessDay(businessDate(now, timeZone), timeZone).getTime()
  for (let minute = start; minute <= now.getTime(); minute += MINUTE_MS) if (task.match(new Date(minute))) return true
  return false
}

/**
 * Runs the jobs at their cron times in SCRM_TIMEZONE (node-cron), in every process: the run
 * ledger lets one of them do each date's work. At start, and every 15 minutes after, a
 * catch-up job whose time already came today but whose run is not done is run then: the
 * process that was down at 09:00, or the run that failed, is made up the same business day.
 */
export function startScheduler(context: Omit<JobContext, 'signal' | 'print' | 'owner'>, jobs: readonly Job[]): Scheduler {
  const { config, logger } = context
  const running = new Set<Promise<unknown>>()

  const run = (job: Job, reason: 'schedule' | 'catch-up', now = new Date()) => {
    const date = businessDate(now, config.timezone)
    const print = (line: string) => logger.info({ job: job.name, date }, line)
    const work = runJob(job, { ...context, print }, { date, dryRun: false })
      .then((outcome) => {
        const level = outcome.status === 'failed' ? 'warn' : outcome.status === 'skipped' ? 'debug' : 'info'
        logger[level]({ job: job.name, date, reason, status: outcome.status }, outcome.summary)
      })
      .catch((error: Error) => logger.error({ job: job.name, date, reason, err: error.message }, 'job failed'))
      .finally(() => running.delete(work))
    running.add(work)
    return work
  }

  const tasks = jobs.map((job) => ({
    job,
    // noOverlap: a run still at work when its next time comes is not started twice here.
    task: createTask(job.schedule(config), () => run(job, 'schedule'), { timezone: config.timezone, name: job.name, noOverlap: true }),
  }))
  for (const { task } of tasks) void task.start()

  const catchUp = async (now = new Date()) => {
    await Promise.all(tasks.filter(({ job, task }) => job.catchUp && dueEarlierToday(task, now, config.timezone)).map(({ job }) => run(job, 'catch-up', now)))
  }
  const catchingUp = setInterval(() => void catchUp(), CATCH_UP_EVERY_MS)
  catchingUp.unref()

  return {
    catchUp,
    async stop() {
      clearInterval(catchingUp)
      for (const { task } of tasks) await task.destroy()
      await Promise.allSettled([...running])
    },
  }
}
