import { dailyDigestJob } from './dailyDigest'
import type { Job } from './job'
import { reconcileJob } from './reconcile'
import { segmentsJob } from './segments'
import { teamFiguresJob } from './teamFigures'

export type { Job, JobContext, JobOptions, JobResult } from './job'

export const jobs: Job[] = [dailyDigestJob, reconcileJob, segmentsJob, teamFiguresJob]

export const findJob = (name: string) => jobs.find((job) => job.name === name)
