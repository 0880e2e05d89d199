import type { SyncRunView, SyncStage } from '../api/contract'
import type { SyncRunWithActor } from '../console/system'

const STAGES: readonly SyncStage[] = ['members', 'tags', 'customers', 'removals']

const parse = (text: string | null): unknown => {
  if (text === null) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
const counts = (value: unknown) => {
  const c = (value ?? {}) as Record<string, unknown>
  return { created: Number(c.created ?? 0), updated: Number(c.updated ?? 0), removed: Number(c.removed ?? 0) }
}

/** A sync run for the 系统 page: field by field, nothing of its claim. */
export function presentSyncRun(run: SyncRunWithActor): SyncRunView {
  const stored = (parse(run.progress) ?? {}) as Record<string, { done?: unknown; total?: unknown } | undefined>
  const progress: SyncRunView['progress'] = {}
  for (const stage of STAGES) {
    const step = stored[stage]
    if (step) progress[stage] = { done: Number(step.done ?? 0), total: Number(step.total ?? 0) }
  }
  const summary = parse(run.summary) as Record<string, unknown> | null
  return {
    id: run.id,
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    origin: run.origin,
    startedBy: run.actor && { userid: run.actor.userid, name: run.actor.name },
    progress,
    summary: summary && {
      members: Number(summary.members ?? 0),
      tags: counts(summary.tags),
      customers: counts(summary.customers),
      follows: counts(summary.follows),
      resumed: summary.resumed === true,
      seconds: Number(summary.seconds ?? 0),
    },
    error: run.error,
  }
}
