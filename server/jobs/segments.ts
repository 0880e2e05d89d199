import type { DataSource, EntityManager } from 'typeorm'
import { mapConcurrent } from '../concurrency'
import { callPacer, systemClock } from '../clock'
import { createRefresher } from '../mirror/refresh'
import { recordTagChange } from '../customers/actions'
import { query, rawInstant } from '../db/sql'
import { MEMBER_STATUS, Tag, TagGroup } from '../entities'
import { SPENDING_STATUSES } from '../rules/orders'
import { addDays, startOfBusinessDay } from '../time'
import { RATE_LIMIT_BLOCK_MS, type WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'
import type { Logger } from '../logger'
import type { Job } from './job'

/** The corp-tag group this job owns in WeCom; it never touches any other group. */
export const SEGMENT_GROUP = '客户价值'
/** Recent (R): the last order at most this many business days before the business date. */
export const RECENT_DAYS = 90
/** F and M count the orders paid in this many business days, the business date included. */
export const WINDOW_DAYS = 365
/** Valuable: at least this many orders (F) and this much spent (M, in fen: ¥2,000) in the window. */
export const VALUABLE_ORDERS = 3
export const VALUABLE_SPEND_CENTS = 200_000
/** The managed tags, in the order WeCom shows them. */
export const SEGMENTS = ['重要价值', '重要保持', '新客', '活跃', '沉睡'] as const
export type Segment = (typeof SEGMENTS)[number]

/**
 * Half of WeCom's 10,000 calls a minute per corp and API: the sidebar's tag toggles and
 * other processes share that limit with us.
 */
const MARK_TAG_CALLS_PER_MINUTE = 5_000
const MARK_TAG_CONCURRENCY = 4
/** A background run: a follow's call may wait out a 45009 block (the client's gate holds every worker) twice. */
const MARK_TAG_MAX_WAIT_MS = 2 * RATE_LIMIT_BLOCK_MS
const DRY_RUN_EXAMPLES = 5
const DAY_MS = 86_400_000

export interface Rfm {
  /** Business days from the last order's date to the business date: 0 for an order that day. */
  recencyDays: number
  frequency: number
  monetaryCents: number
}

/**
 * The segment of a customer with at least one spending order; the first rule that holds wins.
 * 新客 is one order in the window, not one order ever: a customer back after more than a
 * year away is won anew, and the window keeps the query to one pass over recent orders.
 */
export function segmentOf({ recencyDays, frequency, monetaryCents }: Rfm): Segment {
  const recent = recencyDays <= RECENT_DAYS
  if (frequency >= VALUABLE_ORDERS && monetaryCents >= VALUABLE_SPEND_CENTS) return recent ? '重要价值' : '重要保持'
  if (!recent) return '沉睡'
  return frequency === 1 ? '新客' : '活跃'
}

/** Spending orders `o` up to :end (a NULL paid_at is never < :end). */
const SPENDING_ORDERS_SQL = 'o.customer_id IS NOT NULL AND o.status IN (:...spending) AND o.paid_at < :end'

/** Every customer with a spending order up to the date's end, and their segment: one GROUP BY. */
async function customerSegments(manager: EntityManager, window: { start: Date; end: Date }): Promise<Map<number, Segment>> {
  const rows = await query<{ customer_id: number; last_paid_at: Date | string; frequency: number | string; monetary_cents: number | string | null }>(
    manager,
    `SELECT o.customer_id, MAX(o.paid_at) AS last_paid_at,
            SUM(CASE WHEN o.paid_at >= :start THEN 1 ELSE 0 END) AS frequency,
            SUM(CASE WHEN o.paid_at >= :start THEN o.amount_cents ELSE 0 END) AS monetary_cents
       FROM orders o
      WHERE ${SPENDING_ORDERS_SQL}
      GROUP BY o.customer_id`,
    { ...window, spending: SPENDING_STATUSES },
  )
  const segments = new Map<number, Segment>()
  for (const row of rows) {
    // Business days back from the date's end (an order that day is 0); days of 24 h, so a DST
    // change can shift an order paid within that hour of midnight by one day.
    const recencyDays = Math.ceil((window.end.getTime() - rawInstant(row.last_paid_at).getTime()) / DAY_MS) - 1
    segments.set(Number(row.customer_id), segmentOf({ recencyDays, frequency: Number(row.frequency), monetaryCents: Number(row.monetary_cents ?? 0) }))
  }
  return segments
}

interface ManagedTag {
  id: number
  wecomTagId: string
  name: string
}

interface LiveFollow {
  followId: number
  customerId: number
  userid: string
  externalUserid: string
  /** The tags of the managed group it carries now. */
  managed: ManagedTag[]
}

/**
 * Live follows that may need a change: those of customers with a spending order and those
 * carrying a tag of the managed group. Follows of members who left are skipped: WeCom
 * refuses mark_tag for them until their customers are transferred.
 */
async function liveFollows(manager: EntityManager, groupId: number | null, end: Date): Promise<LiveFollow[]> {
  const rows = await query<{ follow_id: number; customer_id: number; userid: string; external_userid: string; tag_id: number | null; wecom_tag_id: string | null; tag_name: string | null }>(
    manager,
    `SELECT f.id AS follow_id, f.customer_id, m.userid, c.external_userid, mt.tag_id, mt.wecom_tag_id, mt.tag_name
       FROM follow_relations f
       JOIN members m ON m.id = f.member_id
       JOIN customers c ON c.id = f.customer_id
       LEFT JOIN (SELECT ft.follow_relation_id, t.id AS tag_id, t.wecom_tag_id, t.name AS tag_name
                    FROM follow_tags ft JOIN tags t ON t.id = ft.tag_id
                   WHERE t.group_id = :groupId) mt ON mt.follow_relation_id = f.id
      WHERE f.status = 'active' AND m.status <> :left
        AND (mt.tag_id IS NOT NULL OR EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = f.customer_id AND ${SPENDING_ORDERS_SQL}))
      ORDER BY f.id`,
    { groupId, end, left: MEMBER_STATUS.left, spending: SPENDING_STATUSES },
  )
  const follows = new Map<number, LiveFollow>()
  for (const row of rows) {
    const followId = Number(row.follow_id)
    let follow = follows.get(followId)
    if (!follow) {
      follow = { followId, customerId: Number(row.customer_id), userid: row.userid, externalUserid: row.external_userid, managed: [] }
      follows.set(followId, follow)
    }
    if (row.tag_id !== null) follow.managed.push({ id: Number(row.tag_id), wecomTagId: row.wecom_tag_id!, name: row.tag_name! })
  }
  return [...follows.values()]
}

interface TagChange {
  follow: LiveFollow
  /** The segment tag to add, if the follow lacks it. */
  add: Segment | null
  /** Every other tag of the managed group it carries. */
  remove: ManagedTag[]
}

/** What each follow lacks or has too much of: exactly its customer's segment tag, nothing else of the group. */
function planChanges(follows: LiveFollow[], segments: Map<number, Segment>): TagChange[] {
  return follows.flatMap((follow) => {
    const segment = segments.get(follow.customerId) ?? null
    const add = segment !== null && !follow.managed.some((tag) => tag.name === segment) ? segment : null
    const remove = follow.managed.filter((tag) => tag.name !== segment)
    return add !== null || remove.length > 0 ? [{ follow, add, remove }] : []
  })
}

/** The managed group and its tags in our mirror of WeCom's corp tags. */
async function readManagedGroup(manager: EntityManager): Promise<{ group: TagGroup | null; tags: Tag[] }> {
  const group = await manager.findOne(TagGroup, { where: { name: SEGMENT_GROUP }, order: { id: 'ASC' } })
  return { group, tags: group ? await manager.find(Tag, { where: { groupId: group.id } }) : [] }
}

const missingSegments = (tags: Tag[]) => SEGMENTS.filter((name) => !tags.some((tag) => tag.name === name))

/**
 * Creates the managed group in WeCom, or adds the segment tags it lacks, then mirrors WeCom's
 * corp tags again. Returns the segment tags by name and what was created, for people.
 */
async function ensureManagedGroup(dataSource: DataSource, client: WecomClient, logger: Logger): Promise<{ group: TagGroup; tags: Map<string, Tag>; created: string | null }> {
  let { group, tags } = await readManagedGroup(dataSource.manager)
  const missing = missingSegments(tags)
  let created: string | null = null
  if (missing.length > 0) {
    // A higher order sorts first in WeCom.
    const tag = missing.map((name) => ({ name, order: SEGMENTS.length - SEGMENTS.indexOf(name) }))
    await client.call('addCorpTag', { body: group ? { group_id: group.wecomGroupId, tag } : { group_name: SEGMENT_GROUP, tag } })
    created = group ? `added ${missing.join(', ')} to the tag group ${SEGMENT_GROUP}` : `created the tag group ${SEGMENT_GROUP}`
    await createRefresher(dataSource, client, logger).corpTags()
    ;({ group, tags } = await readManagedGroup(dataSource.manager))
  }
  if (!group || missingSegments(tags).length > 0) throw new Error(`WeCom does not list the tags ${missingSegments(tags).join(', ')} of ${SEGMENT_GROUP} after adding them`)
  return { group, tags: new Map(tags.map((tag) => [tag.name, tag])), created }
}

const describeChange = ({ follow, add, remove }: TagChange) =>
  `${follow.userid} · ${follow.externalUserid}: ${[...(add ? [`+${add}`] : []), ...remove.map((tag) => `-${tag.name}`)].join(' ')}`

function countSegments(segments: Map<number, Segment>): string {
  const counts = new Map<Segment, number>(SEGMENTS.map((segment) => [segment, 0]))
  for (const segment of segments.values()) counts.set(segment, counts.get(segment)! + 1)
  return SEGMENTS.map((segment) => `${segment} ${counts.get(segment)}`).join(', ')
}

/**
 * Nightly, after the reconcile has brought follows and tags to WeCom's truth: RFM segments
 * from orders (SPEC §4.5), kept in WeCom as the managed corp-tag group 客户价值. Only the
 * follows whose segment tag differs get a mark_tag; one WeCom refusal does not stop the
 * others and leaves the run incomplete, so the next night tries again.
 */
export const segmentsJob: Job = {
  name: 'segments',
  schedule: () => '0 4 * * *',
  catchUp: false,
  async run({ config, dataSource, wecom, logger, print, signal, clock = systemClock }, { date, dryRun }) {
    const window = { start: startOfBusinessDay(addDays(date, 1 - WINDOW_DAYS), config.timezone), end: startOfBusinessDay(addDays(date, 1), config.timezone) }
    const segments = await customerSegments(dataSource.manager, window)
    const counts = `segments: ${countSegments(segments)}`

    if (dryRun) {
      const { group, tags } = await readManagedGroup(dataSource.manager)
      const missing = missingSegments(tags)
      if (!group) print(`would create the tag group ${SEGMENT_GROUP} with ${SEGMENTS.join(', ')}`)
      else if (missing.length > 0) print(`would add ${missing.join(', ')} to the tag group ${SEGMENT_GROUP}`)
      const changes = planChanges(await liveFollows(dataSource.manager, group?.id ?? null, window.end), segments)
      for (const change of changes.slice(0, DRY_RUN_EXAMPLES)) print(`  ${describeChange(change)}`)
      if (changes.length > DRY_RUN_EXAMPLES) print(`  … and ${changes.length - DRY_RUN_EXAMPLES} more`)
      return { summary: `dry run: ${counts}; ${changes.length} follows would change; nothing written`, complete: true }
    }

    // A run that lost its claim leaves WeCom alone, the group included.
    if (signal.aborted) return { summary: `${counts}; nothing changed (claim lost)`, complete: false }
    const { group, tags, created } = await ensureManagedGroup(dataSource, wecom.client, logger)
    if (created) print(`segments: ${created}`)
    const changes = planChanges(await liveFollows(dataSource.manager, group.id, window.end), segments)

    const tally = { changed: 0, failed: 0, stopped: 0 }
    const pace = callPacer(MARK_TAG_CALLS_PER_MINUTE, 60_000, clock)
    const apply = async (change: TagChange) => {
      if (signal.aborted) {
        tally.stopped++
        return
      }
      const addTag = change.add === null ? null : tags.get(change.add)!
      await pace()
      try {
        await wecom.client.call(
          'markTag',
          {
            body: {
              userid: change.follow.userid,
              external_userid: change.follow.externalUserid,
              ...(addTag ? { add_tag: [addTag.wecomTagId] } : {}),
              ...(change.remove.length > 0 ? { remove_tag: change.remove.map((tag) => tag.wecomTagId) } : {}),
            },
          },
          { maxWaitMs: MARK_TAG_MAX_WAIT_MS },
        )
      } catch (error) {
        if (!(error instanceof WecomApiError)) throw error
        tally.failed++
        print(`segments: ${describeChange(change)} failed: ${error.message}`)
        return
      }
      await recordTagChange(dataSource, {
        followId: change.follow.followId,
        customerId: change.follow.customerId,
        actorMemberId: null,
        added: addTag ? [addTag] : [],
        removed: change.remove,
        by: 'segments',
      })
      tally.changed++
    }
    // A failure that is not WeCom's answer (our database, a bug) stops the other workers too.
    await mapConcurrent(changes, MARK_TAG_CONCURRENCY, apply)
    const summary = `${counts}; ${tally.changed} follows changed, ${tally.failed} failed${tally.stopped ? `, ${tally.stopped} not tried (claim lost)` : ''}`
    return { summary, complete: tally.failed === 0 && tally.stopped === 0 }
  },
}
