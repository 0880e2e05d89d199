import type { Job, JobContext, JobOptions } from './job'
import { newOwner } from '../processIdentity'
import { claimRun, RENEW_EVERY_MS } from './runClaims'

export type JobRunOutcome =
  | { status: 'done' | 'failed'; summary: string }
  | { status: 'skipped'; summary: string }

/**
 * One run of a job for a business date, the way both the scheduler and the CLI run it:
 * claimed first (SPEC §4.4), the claim renewed while it works, and the outcome recorded.
 * A dry run claims nothing and writes nothing. `rerunDone` lets a person run a finished
 * date again; the scheduler never does.
 */
export async function runJob(
  job: Job,
  context: Omit<JobContext, 'signal' | 'owner'>,
  options: JobOptions & { rerunDone?: boolean },
): Promise<JobRunOutcome> {
  const controller = new AbortController()
  if (options.dryRun) {
    const result = await job.run({ ...context, signal: controller.signal, owner: newOwner() }, options)
    return { status: 'done', summary: result.summary }
  }
  const outcome = await claimRun(context.dataSource, job.name, options.date, { rerunDone: options.rerunDone })
  if ('refused' in outcome) {
    const what = outcome.refused === 'done' ? 'already ran' : `is running in ${outcome.by}`
    return { status: 'skipped', summary: `${job.name} for ${options.date} ${what} (since ${outcome.since.toISOString()}); nothing done` }
  }
  const { claim } = outcome
  const renewing = setInterval(() => {
    claim.renew().then(
      (held) => held || controller.abort(),
      (error: Error) => context.logger.warn({ job: job.name, err: error.message }, 'could not renew the job claim'),
    )
  }, RENEW_EVERY_MS)
  renewing.unref()
  try {
    const result = await job.run({ ...context, signal: controller.signal, owner: claim.owner }, options)
    const status = result.complete ? 'done' : 'failed'
    await claim.finish(status, result.summary)
    return { status, summary: result.summary }
  } catch (error) {
    await claim.finish('failed', `failed: ${(error as Error).message}`).catch(() => {})
    throw error
  } finally {
    clearInterval(renewing)
  }
}
