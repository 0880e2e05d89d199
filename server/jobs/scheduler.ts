import { createTask, type ScheduledTask } from 'node-cron'
import { readReminderRules } from '../rules/reminderRules'
import { businessDate, startOfBusinessDay } from '../time'
import type { Job, JobContext } from './job'
import { runJob } from './runJob'

/** How often a process looks for today's runs that are due but not done (missed, or failed). */
const CATCH_UP_EVERY_MS = 15 * 60_000
const MINUTE_MS = 60_000

export interface Scheduler {
  /** Runs every job whose time is the minute of `now`; resolves when they finish. */
  runDue(now?: Date): Promise<void>
  /** Runs every job whose time came today and whose run is not done; resolves when they finish. */
  catchUp(now?: Date): Promise<void>
  stop(): Promise<void>
}

const wholeMinute = (instant: Date) => new Date(Math.floor(instant.getTime() / MINUTE_MS) * MINUTE_MS)

/** Whether `task` was due at some whole minute of `now`'s business day, up to `now`. */
function dueEarlierToday(task: ScheduledTask, now: Date, timeZone: string): boolean {
  const start = startOfBusinessDay(businessDate(now, timeZone), timeZone).getTime()
  for (let minute = start; minute <= now.getTime(); minute += MINUTE_MS) if (task.match(new Date(minute))) return true
  return false
}

/**
 * Runs the jobs at their cron times in SCRM_TIMEZONE (node-cron), in every process: the run
 * ledger lets one of them do each date's work. A job's time can come from the reminder
 * rules (the digest's, set in 提醒规则), so every minute each process reads the rules and
 * runs the jobs due that minute: a change in the console applies from the next minute, in
 * every process, with no restart. At start, and every 15 minutes after, a catch-up job
 * whose time already came today but whose run is not done is run then: the process that was
 * down at 09:00, or the run that failed, is made up the same business day.
 */
export function startScheduler(context: Omit<JobContext, 'signal' | 'print' | 'owner'>, jobs: readonly Job[]): Scheduler {
  const { config, dataSource, logger } = context
  const running = new Map<string, Promise<unknown>>()

  const run = (job: Job, reason: 'schedule' | 'catch-up', now = new Date()) => {
    // A run still at work when its next time comes is not started twice here.
    const active = running.get(job.name)
    if (active) return active
    const date = businessDate(now, config.timezone)
    const print = (line: string) => logger.info({ job: job.name, date }, line)
    const work = runJob(job, { ...context, print }, { date, dryRun: false })
      .then((outcome) => {
        const level = outcome.status === 'failed' ? 'warn' : outcome.status === 'skipped' ? 'debug' : 'info'
        logger[level]({ job: job.name, date, reason, status: outcome.status }, outcome.summary)
      })
      .catch((error: Error) => logger.error({ job: job.name, date, reason, err: error.message }, 'job failed'))
      .finally(() => running.delete(job.name))
    running.set(job.name, work)
    return work
  }

  // node-cron matches an expression against an instant in the time zone; one unstarted task per expression does it.
  const matchers = new Map<string, ScheduledTask>()
  const matcherOf = (expression: string) => {
    let task = matchers.get(expression)
    if (!task) matchers.set(expression, (task = createTask(expression, () => {}, { timezone: config.timezone })))
    return task
  }
  /** Each job with its time as the configuration and the rules say now; null when the rules cannot be read (the database is away): nothing runs. */
  const schedules = async () => {
    try {
      const rules = await readReminderRules(dataSource.manager)
      return jobs.map((job) => ({ job, task: matcherOf(job.schedule(config, rules)) }))
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'scheduler: could not read the reminder rules; trying again next minute')
      return null
    }
  }

  const runDue = async (now = new Date()) => {
    const minute = wholeMinute(now)
    const due = (await schedules())?.filter(({ task }) => task.match(minute)) ?? []
    await Promise.all(due.map(({ job }) => run(job, 'schedule', now)))
  }
  const catchUp = async (now = new Date()) => {
    const due = (await schedules())?.filter(({ job, task }) => job.catchUp && dueEarlierToday(task, now, config.timezone)) ?? []
    await Promise.all(due.map(({ job }) => run(job, 'catch-up', now)))
  }

  const everyMinute = createTask('* * * * *', () => void runDue(), { timezone: config.timezone, name: 'scheduler' })
  void everyMinute.start()
  const catchingUp = setInterval(() => void catchUp(), CATCH_UP_EVERY_MS)
  catchingUp.unref()

  return {
    runDue,
    catchUp,
    async stop() {
      clearInterval(catchingUp)
      await everyMinute.destroy()
      for (const task of matchers.values()) await task.destroy()
      await Promise.allSettled([...running.values()])
    },
  }
}
