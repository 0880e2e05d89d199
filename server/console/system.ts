import type { DataSource, EntityManager } from 'typeorm'
import type { ActivityEntry, ActivityPage, DeadLetter, DeadLetterPage, InboxFigures } from '../api/contract'
import { query, rawInstant } from '../db/sql'
import { InboxEvent, SyncRun } from '../entities'
import { replayDeadLetters } from '../inbox/worker'
import type { Logger } from '../logger'
import { PROCESSORS } from '../processors'
import { startRecordedSync, type SyncStart } from '../sync/syncRuns'
import type { WecomClient } from '../wecom/client'
import { recordActivity } from './activity'
import type { ConsoleViewer } from './team'

/** The failure label of an error outside any processor (parsing, recording), as the worker's metric names it. */
export const OUTSIDE_PROCESSORS = 'inbox'
export const DEAD_LETTERS_PER_PAGE = 50
export const ACTIVITY_PER_PAGE = 50
export const RECENT_SYNCS = 10
const ERROR_LENGTH = 2_000

/**
 * The processors a last_error names. The worker writes a StepsFailed error as
 * `name: error; name: error`, each name one of the registry's; any other error is the inbox's own.
 */
export function failedProcessors(lastError: string, names: readonly string[] = PROCESSORS.map((p) => p.name)): string[] {
  const named = names.filter((name) => lastError.startsWith(`${name}: `) || lastError.includes(`; ${name}: `))
  return named.length > 0 ? named : [OUTSIDE_PROCESSORS]
}

/**
 * The inbox now (SPEC §4.6): counts by status, the lag, and failures per processor. The
 * dispatcher records no failure per processor (processor_steps holds completed steps only);
 * its error text names each failed processor, so the retrying events and dead letters are
 * counted by the names in their last_error, in SQL (the registry's names hold no LIKE wildcard).
 */
export async function inboxFigures(manager: EntityManager, now = new Date()): Promise<InboxFigures> {
  const names = PROCESSORS.map((p) => p.name)
  const named = names.map((_, i) => `(last_error LIKE :start${i} OR last_error LIKE :inside${i})`)
  const parameters: Record<string, unknown> = {}
  names.forEach((name, i) => {
    parameters[`start${i}`] = `${name}: %`
    parameters[`inside${i}`] = `%; ${name}: %`
  })
  const [statuses, oldest, failures] = await Promise.all([
    query<{ status: string; n: number | string }>(manager, 'SELECT status, COUNT(*) AS n FROM inbox_events GROUP BY status'),
    query<{ received_at: Date | string }>(manager, "SELECT received_at FROM inbox_events WHERE status = 'pending' ORDER BY received_at LIMIT 1"),
    query<Record<string, number | string | null>>(
      manager,
      `SELECT status, COUNT(*) AS n, ${named.map((condition, i) => `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END) AS p${i}`).join(', ')},
              SUM(CASE WHEN ${named.length > 0 ? named.join(' OR ') : '1 = 0'} THEN 0 ELSE 1 END) AS outside
         FROM inbox_events WHERE status IN ('pending', 'dead') AND last_error IS NOT NULL GROUP BY status`,
      parameters,
    ),
  ])
  const count = (status: string) => Number(statuses.find((row) => row.status === status)?.n ?? 0)
  const failing = (status: string) => failures.find((row) => row.status === status)
  const oldestAt = oldest[0] ? rawInstant(oldest[0].received_at) : null
  const perProcessor = [...names, OUTSIDE_PROCESSORS].map((processor, i) => {
    const column = processor === OUTSIDE_PROCESSORS ? 'outside' : `p${i}`
    return { processor, retrying: Number(failing('pending')?.[column] ?? 0), dead: Number(failing('dead')?.[column] ?? 0) }
  })
  return {
    counts: { pending: count('pending'), done: count('done'), ignored: count('ignored'), dead: count('dead') },
    retrying: Number(failing('pending')?.n ?? 0),
    lagSeconds: oldestAt ? Math.max(0, Math.round((now.getTime() - oldestAt.getTime()) / 1000)) : 0,
    oldestPendingAt: oldestAt?.toISOString() ?? null,
    failures: perProcessor.filter((row) => row.retrying + row.dead > 0),
  }
}

/** Dead letters, newest first, DEAD_LETTERS_PER_PAGE a page before the id `before`. */
export async function deadLetters(manager: EntityManager, before?: number): Promise<DeadLetterPage> {
  const rows = await query<{ id: number; event: string; change_type: string; attempts: number; last_error: string | null; received_at: Date | string; processed_at: Date | string | null }>(
    manager,
    `SELECT id, event, change_type, attempts, last_error, received_at, processed_at FROM inbox_events
      WHERE status = 'dead'${before === undefined ? '' : ' AND id < :before'} ORDER BY id DESC LIMIT ${DEAD_LETTERS_PER_PAGE + 1}`,
    { before },
  )
  const page = rows.slice(0, DEAD_LETTERS_PER_PAGE)
  return {
    deadLetters: page.map((row): DeadLetter => {
      const error = row.last_error ?? ''
      return {
        id: Number(row.id),
        event: row.event,
        changeType: row.change_type,
        attempts: Number(row.attempts),
        error: error.slice(0, ERROR_LENGTH),
        processors: failedProcessors(error),
        receivedAt: rawInstant(row.received_at).toISOString(),
        failedAt: row.processed_at === null ? null : rawInstant(row.processed_at).toISOString(),
      }
    }),
    nextBefore: rows.length > DEAD_LETTERS_PER_PAGE ? Number(page[page.length - 1]!.id) : null,
  }
}

/**
 * Replays one dead letter (`id`) or all of them, with the activity log entry in the same
 * transaction. Idempotent: only dead letters move, so a replayed event (pending again, or
 * handled since) and a live one stay as they are, and nothing is logged when nothing moved.
 * Null: no event has that id.
 */
export async function replay(dataSource: DataSource, viewer: ConsoleViewer, id?: number): Promise<number | null> {
  return dataSource.transaction(async (tx) => {
    if (id !== undefined && !(await tx.getRepository(InboxEvent).existsBy({ id }))) return null
    const replayed = await replayDeadLetters(tx, id === undefined ? undefined : [id])
    if (replayed > 0) {
      await recordActivity(tx, {
        actorMemberId: viewer.id,
        action: id === undefined ? 'inbox_replayed_all' : 'inbox_replayed',
        detail: id === undefined ? { replayed } : { inboxEventId: id },
      })
    }
    return replayed
  })
}

/** 立即同步: a full sync in this process, logged as the viewer's; the one running already if there is one. */
export function startConsoleSync(dataSource: DataSource, client: WecomClient, viewer: ConsoleViewer, logger: Logger): Promise<SyncStart> {
  return startRecordedSync(dataSource, client, {
    origin: 'console',
    actorMemberId: viewer.id,
    logger,
    onClaimed: (tx, run) => recordActivity(tx, { actorMemberId: viewer.id, action: 'sync_started', detail: { syncRunId: run.id } }),
  })
}

/** A sync run with the name of who started it. */
export type SyncRunWithActor = SyncRun & { actor: { userid: string; name: string } | null }

/** The running sync, if any, and the last RECENT_SYNCS, newest first. */
export async function syncRuns(manager: EntityManager): Promise<{ running: SyncRunWithActor | null; recent: SyncRunWithActor[] }> {
  const recent = await manager.getRepository(SyncRun).find({ order: { id: 'DESC' }, take: RECENT_SYNCS })
  const running = recent.find((run) => run.status === 'running') ?? (await manager.getRepository(SyncRun).findOneBy({ status: 'running' }))
  const withActors = await withActor(manager, running && !recent.includes(running) ? [...recent, running] : recent)
  return { running: running ? withActors.find((run) => run.id === running.id)! : null, recent: withActors.slice(0, recent.length) }
}

/** One sync run, as syncRuns gives it. */
export async function syncRun(manager: EntityManager, id: number): Promise<SyncRunWithActor | null> {
  const run = await manager.getRepository(SyncRun).findOneBy({ id })
  return run ? (await withActor(manager, [run]))[0]! : null
}

async function withActor(manager: EntityManager, runs: SyncRun[]): Promise<SyncRunWithActor[]> {
  const ids = [...new Set(runs.flatMap((run) => (run.actorMemberId === null ? [] : [run.actorMemberId])))]
  const members = ids.length === 0 ? [] : await query<{ id: number; userid: string; name: string }>(manager, 'SELECT id, userid, name FROM members WHERE id IN (:...ids)', { ids })
  const byId = new Map(members.map((m) => [Number(m.id), { userid: m.userid, name: m.name }]))
  return runs.map((run) => Object.assign(run, { actor: run.actorMemberId === null ? null : (byId.get(run.actorMemberId) ?? null) }))
}

/** The activity log, newest first, ACTIVITY_PER_PAGE a page before the id `before`; filtered by actor (userid) and action. */
export async function activityLog(manager: EntityManager, filter: { member?: string; action?: string; before?: number }): Promise<ActivityPage> {
  const conditions: string[] = []
  if (filter.member !== undefined) conditions.push('a.actor_member_id = (SELECT id FROM members WHERE userid = :member)')
  if (filter.action !== undefined) conditions.push('a.action = :action')
  if (filter.before !== undefined) conditions.push('a.id < :before')
  const rows = await query<{ id: number; created_at: Date | string; action: string; detail: string; userid: string | null; name: string | null; external_userid: string | null; customer_name: string | null }>(
    manager,
    `SELECT a.id, a.created_at, a.action, a.detail, m.userid, m.name, c.external_userid, c.name AS customer_name
       FROM activity_log a LEFT JOIN members m ON m.id = a.actor_member_id LEFT JOIN customers c ON c.id = a.customer_id
      ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY a.id DESC LIMIT ${ACTIVITY_PER_PAGE + 1}`,
    filter,
  )
  const page = rows.slice(0, ACTIVITY_PER_PAGE)
  return {
    entries: page.map(
      (row): ActivityEntry => ({
        id: Number(row.id),
        at: rawInstant(row.created_at).toISOString(),
        actor: row.userid === null ? null : { userid: row.userid, name: row.name ?? '' },
        action: row.action,
        customer: row.external_userid === null ? null : { externalUserid: row.external_userid, name: row.customer_name ?? '' },
        detail: parseDetail(row.detail),
      }),
    ),
    nextBefore: rows.length > ACTIVITY_PER_PAGE ? Number(page[page.length - 1]!.id) : null,
  }
}

function parseDetail(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value }
  } catch {
    return { text }
  }
}
