import type { DataSource } from 'typeorm'
import { mapConcurrent } from '../concurrency'
import { query } from '../db/sql'
import { lockForUpdate, parallelWriters } from '../db/dialect'
import { upsertTransaction } from '../db/transaction'
import { SyncCheckpoint } from '../entities'
import {
  combineLearned,
  followerFromWecom,
  markFollowsSeen,
  markUnlistedFollowersDeleted,
  upsertCustomers,
  upsertFollowers,
  type ChangeCounts,
  type FollowerRow,
} from '../mirror/customers'
import { ensureMembers, setFollowUsers, upsertDepartments, upsertMembers } from '../mirror/members'
import { MirrorLog, rawId } from '../mirror/mirrorInput'
import { createRefresher } from '../mirror/refresh'
import { bindLearnedIdentities } from '../orders/identities'
import type { Logger } from '../logger'
import type { WecomClient } from '../wecom/client'
import type { Endpoints, WecomUser } from '../wecom/apiTypes'

/** batch/get_by_user takes at most 100 members a call and 100 customers a page. */
const MEMBERS_PER_CALL = 100
const PAGE_LIMIT = 100
/** Member chunks fetched at once by default: WeCom limits concurrency per API (45033). */
export const SYNC_CONCURRENCY = 4
/** user/get calls in flight at once, beside the pages: another API, with a limit of its own. */
const MEMBER_READS = 8

/** One follow of a batch/get_by_user page. */
type BatchEntry = Endpoints['batchGetByUser']['response']['external_contact_list'][number]

export interface SyncProgress {
  stage: 'members' | 'tags' | 'customers' | 'removals'
  done: number
  total: number
}

export interface SyncSummary {
  members: number
  tags: ChangeCounts
  customers: ChangeCounts
  follows: ChangeCounts
  resumed: boolean
  seconds: number
}

interface Checkpoint {
  startedAt: string
  /** Follow users at the start, in chunks of 100: the unit of progress. */
  chunks: string[][]
  /** Per chunk: the next cursor, or 'done'. */
  cursors: Record<number, string>
  /** Members whose details were written; null until then (they are read beside the pages). */
  members: number | null
  tags: ChangeCounts
  customers: ChangeCounts
  follows: ChangeCounts
}

const CHECKPOINT = 'full-sync'
const zero = (): ChangeCounts => ({ created: 0, updated: 0, removed: 0 })
const sum = (a: ChangeCounts, b: ChangeCounts): ChangeCounts => ({ created: a.created + b.created, updated: a.updated + b.updated, removed: a.removed + b.removed })

export interface FullSyncOptions {
  /** Member chunks fetched at once (SYNC_CONCURRENCY by default); WeCom limits concurrency per API (45033). */
  concurrency?: number
  onProgress?: (progress: SyncProgress) => void
  /** Stop after this many customer pages, once they are written (tests interrupt a sync with it). */
  stopAfterPages?: number
  /** Gets what was cut or skipped of WeCom's records, once per kind per run. */
  logger: Logger
}

export class SyncInterrupted extends Error {}

/**
 * Brings members, corp tags, customers and follows to WeCom's truth (SPEC §4.1): changes
 * made through the API send no callback, and missed callbacks are never resent. The
 * checkpoint is written in the pages' own transaction, so an interrupted sync resumes after
 * the last page it wrote.
 */
export async function fullSync(dataSource: DataSource, client: WecomClient, options: FullSyncOptions): Promise<SyncSummary> {
  const log = new MirrorLog(options.logger)
  try {
    return await syncAll(dataSource, client, options, log)
  } finally {
    log.finish()
  }
}

async function syncAll(dataSource: DataSource, client: WecomClient, options: FullSyncOptions, log: MirrorLog): Promise<SyncSummary> {
  const started = Date.now()
  const report = options.onProgress ?? (() => {})
  const repository = dataSource.getRepository(SyncCheckpoint)
  const saved = await repository.findOneBy({ name: CHECKPOINT })
  const resumed = saved !== null
  const checkpoint: Checkpoint = saved ? JSON.parse(saved.state) : await planSync(dataSource, client, report, log, options.logger)
  if (!resumed) await repository.save({ name: CHECKPOINT, state: JSON.stringify(checkpoint), updatedAt: new Date() })

  const followUsers = checkpoint.chunks.flat()
  // Stubs for members not stored yet, so pages need not wait for the members' details.
  const memberIds = await ensureMembers(dataSource.manager, followUsers, log)
  let membersFailed = false
  const members =
    checkpoint.members === null
      ? readMembers(client, followUsers, report).catch((error: unknown) => {
          membersFailed = true
          throw error
        })
      : Promise.resolve(null)
  const pages = syncCustomers(dataSource, client, checkpoint, { memberIds, log, report, halted: () => membersFailed, options })
  // Both settle before either failure is thrown: nothing may write after the sync returned.
  const [read, paged] = await Promise.allSettled([members, pages])
  if (read.status === 'rejected') throw read.reason
  if (paged.status === 'rejected') throw paged.reason
  if (read.value) {
    await upsertMembers(dataSource.manager, read.value, log)
    await setFollowUsers(dataSource.manager, followUsers)
    checkpoint.members = read.value.length
  }

  // Follows of these members that WeCom did not list since the sync began are gone.
  report({ stage: 'removals', done: 0, total: 1 })
  checkpoint.follows.removed += await markUnlistedFollowersDeleted(
    dataSource.manager,
    { memberIds: [...memberIds.values()], unseenSince: new Date(checkpoint.startedAt) },
    new Date(),
  )
  await repository.delete({ name: CHECKPOINT })
  report({ stage: 'removals', done: 1, total: 1 })
  return {
    members: checkpoint.members ?? 0,
    tags: checkpoint.tags,
    customers: checkpoint.customers,
    follows: checkpoint.follows,
    resumed,
    seconds: (Date.now() - started) / 1000,
  }
}

interface PageContext {
  /** userid → member id of the follow users (stubs included). */
  memberIds: Map<string, number>
  log: MirrorLog
  report: (progress: SyncProgress) => void
  /** True when the sync must stop fetching (the member reads failed). */
  halted: () => boolean
  options: FullSyncOptions
}

/** A page as fetched: its follows, when it was read, and the chunk's cursor after it ('done' at the end). */
interface FetchedPage {
  chunk: number
  entries: BatchEntry[]
  readAt: Date
  cursor: string
}

/**
 * Every chunk's pages, SYNC_CONCURRENCY chunks at once. Within a chunk each page needs the
 * cursor of the one before, so fetching runs ahead of writing: the next page is fetched
 * while the ones before wait for the writer.
 */
async function syncCustomers(dataSource: DataSource, client: WecomClient, checkpoint: Checkpoint, context: PageContext): Promise<void> {
  const { options, report } = context
  const total = checkpoint.chunks.length
  const chunksDone = () => Object.values(checkpoint.cursors).filter((c) => c === 'done').length
  report({ stage: 'customers', done: chunksDone(), total })
  const writer = createPageWriter(dataSource, checkpoint, context)

  let fetched = 0
  let chunkFailed = false
  const mayFetch = () => !chunkFailed && !writer.failed() && !context.halted() && (options.stopAfterPages === undefined || fetched < options.stopAfterPages)
  const fetchPage = async (chunk: number, cursor: string): Promise<FetchedPage> => {
    fetched++
    const readAt = new Date()
    const page = await client.call('batchGetByUser', { body: { userid_list: checkpoint.chunks[chunk]!, cursor, limit: PAGE_LIMIT } })
    return { chunk, entries: page.external_contact_list, readAt, cursor: page.next_cursor || 'done' }
  }

  const syncChunk = async (chunk: number) => {
    // This chunk's pages handed to the writer and not yet written, oldest first.
    const unwritten: Promise<void>[] = []
    let cursor = checkpoint.cursors[chunk] ?? ''
    try {
      while (cursor !== 'done' && mayFetch()) {
        const page = await fetchPage(chunk, cursor)
        const written = writer.write(page)
        // Seen when awaited, in order; a failure stops every chunk's fetching meanwhile.
        written.catch(() => {})
        unwritten.push(written)
        cursor = page.cursor
        if (unwritten.length > UNWRITTEN_PAGES_PER_CHUNK) await unwritten.shift()
      }
      for (const written of unwritten.splice(0)) await written
    } catch (error) {
      chunkFailed = true
      // Nothing of this chunk may still be writing once the sync has failed.
      await Promise.allSettled(unwritten)
      throw error
    }
    if (cursor !== 'done') throw new SyncInterrupted('stopped on request')
    report({ stage: 'customers', done: chunksDone(), total })
  }
  await mapConcurrent(
    checkpoint.chunks.map((_, i) => i).filter((i) => checkpoint.cursors[i] !== 'done'),
    options.concurrency ?? SYNC_CONCURRENCY,
    syncChunk,
  )
}

/**
 * How far a chunk's fetching may run ahead of its writes. When the writer is slower than
 * the pages arrive (a busy database), pages queue up and go into one transaction together.
 */
const UNWRITTEN_PAGES_PER_CHUNK = 2

/** Pages written in one transaction at most: 800 rows a statement. */
const MAX_PAGES_PER_WRITE = 8

/**
 * Transactions writing pages at once on MySQL: the database's work on a page costs more than
 * the page's wait for WeCom, so one writer held every chunk back (a write per 26 ms against a
 * page per 12.5 ms of floor). Chunks follow different members, so two writes rarely touch the
 * same rows; when they do (a customer of two members), the loser of a deadlock is retried.
 */
const WRITERS_ON_MYSQL = 2

interface WaitingPage {
  page: FetchedPage
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * The writers of the chunks' pages: whatever pages wait when a write ends go into the next
 * transaction together, so each table takes one statement for several pages (the round
 * trips, not the rows, were the cost), and SQLite's single connection suffices. A chunk is
 * written by one writer at a time, so its pages commit in the order it fetched them; after
 * a failure every write is refused.
 */
function createPageWriter(dataSource: DataSource, checkpoint: Checkpoint, context: PageContext) {
  const waiting: WaitingPage[] = []
  const maxWriters = parallelWriters(dataSource, WRITERS_ON_MYSQL)
  // Chunks with pages in a write now: their later pages wait for it.
  const chunksWriting = new Set<number>()
  let writers = 0
  let failure: { error: unknown } | null = null

  /** The oldest waiting pages of chunks no other write holds. */
  function takeBatch(): WaitingPage[] {
    const batch: WaitingPage[] = []
    for (let i = 0; i < waiting.length && batch.length < MAX_PAGES_PER_WRITE; ) {
      if (chunksWriting.has(waiting[i]!.page.chunk)) i++
      else batch.push(...waiting.splice(i, 1))
    }
    for (const { page } of batch) chunksWriting.add(page.chunk)
    return batch
  }

  async function drain() {
    writers++
    for (let batch = takeBatch(); batch.length > 0; batch = takeBatch()) {
      try {
        await writePages(dataSource, checkpoint, context, batch.map(({ page }) => page))
        for (const { resolve } of batch) resolve()
      } catch (error) {
        failure = { error }
        for (const { reject } of [...batch, ...waiting.splice(0)]) reject(error)
      } finally {
        for (const { page } of batch) chunksWriting.delete(page.chunk)
      }
    }
    writers--
  }

  return {
    /** Resolves once the page and its cursor committed. */
    write(page: FetchedPage): Promise<void> {
      if (failure) return Promise.reject(failure.error)
      const written = new Promise<void>((resolve, reject) => waiting.push({ page, resolve, reject }))
      if (writers < maxWriters) void drain()
      return written
    },
    failed: () => failure !== null,
  }
}

/**
 * These pages in one transaction: their customers, follows and identities, and the checkpoint
 * with their cursors and counts, merged into the stored one (another writer may have moved
 * other chunks' cursors since this one began).
 */
async function writePages(dataSource: DataSource, checkpoint: Checkpoint, { memberIds: knownMembers, log }: PageContext, pages: FetchedPage[]): Promise<void> {
  const syncedAt = new Date(checkpoint.startedAt)
  // The earliest read: a deletion after it may be newer than what WeCom listed.
  const readAt = new Date(Math.min(...pages.map((page) => page.readAt.getTime())))
  const entries = pages.flatMap((page) => page.entries)
  // In page order, so a chunk's later page leaves its cursor.
  const cursors: Record<number, string> = Object.fromEntries(pages.map((page) => [page.chunk, page.cursor]))
  // Counted after the commit: a transaction retried after a deadlock must not count twice.
  const counts = await upsertTransaction(dataSource, async (tx) => {
    const followers = entries.map((entry) => followerFromWecom(entry.follow_info, rawId(entry.external_contact, 'external_userid'), log))
    const unknown = followers.flatMap((f) => (f && !knownMembers.has(f.userid) ? [f.userid] : []))
    const memberIds = unknown.length === 0 ? knownMembers : new Map([...knownMembers, ...(await ensureMembers(tx, unknown, log))])
    const customers = await upsertCustomers(tx, entries.map((entry) => entry.external_contact), log)
    const rows: FollowerRow[] = []
    const unstored: { userid: string; externalUserid: string }[] = []
    entries.forEach((entry, i) => {
      const follower = followers[i]
      const [userid, externalUserid] = [rawId(entry.follow_info, 'userid'), rawId(entry.external_contact, 'external_userid')]
      const memberId = userid === undefined ? undefined : memberIds.get(userid)
      const customerId = externalUserid === undefined ? undefined : customers.ids.get(externalUserid)
      if (follower && memberId !== undefined && customerId !== undefined) rows.push({ memberId, customerId, follower })
      else if (userid !== undefined && externalUserid !== undefined) unstored.push({ userid, externalUserid })
    })
    // A follow we could not store is still in WeCom: not to be taken for deleted.
    await markFollowsSeen(tx, unstored, syncedAt)
    const follows = await upsertFollowers(tx, rows, { readAt, syncedAt })
    // In the pages' transaction: an order waiting for one of these customers is matched as it arrives.
    await bindLearnedIdentities(tx, combineLearned(customers.learned, follows.learned))
    // Last, so the row is held only for the commit.
    const [row] = await query<{ state: string }>(tx, `SELECT state FROM sync_checkpoints WHERE name = :name${lockForUpdate(tx)}`, { name: CHECKPOINT })
    const stored: Checkpoint = JSON.parse(row!.state)
    const state: Checkpoint = {
      ...stored,
      cursors: { ...stored.cursors, ...cursors },
      customers: sum(stored.customers, customers.counts),
      follows: sum(stored.follows, follows.counts),
    }
    await query(tx, 'UPDATE sync_checkpoints SET state = :state, updated_at = :now WHERE name = :name', { state: JSON.stringify(state), now: new Date(), name: CHECKPOINT })
    return { customers: customers.counts, follows: follows.counts }
  })
  checkpoint.customers = sum(checkpoint.customers, counts.customers)
  checkpoint.follows = sum(checkpoint.follows, counts.follows)
  Object.assign(checkpoint.cursors, cursors)
}

/** The sync's plan: follow users in chunks, after departments and corp tags (follows refer to tags). */
async function planSync(dataSource: DataSource, client: WecomClient, report: (p: SyncProgress) => void, log: MirrorLog, logger: Logger): Promise<Checkpoint> {
  const startedAt = new Date().toISOString()
  const [{ follow_user: followUsers }, { department }] = await Promise.all([client.call('listFollowUsers', { query: {} }), client.call('listDepartments', { query: {} })])
  await upsertDepartments(dataSource.manager, department, log)

  report({ stage: 'tags', done: 0, total: 1 })
  const tags = await createRefresher(dataSource, client, logger).corpTags(log)
  report({ stage: 'tags', done: 1, total: 1 })

  const chunks: string[][] = []
  for (let i = 0; i < followUsers.length; i += MEMBERS_PER_CALL) chunks.push(followUsers.slice(i, i + MEMBERS_PER_CALL))
  return { startedAt, chunks, cursors: {}, members: null, tags, customers: zero(), follows: zero() }
}

/** The follow users' details (user/get each), read while the pages are fetched. */
async function readMembers(client: WecomClient, followUsers: string[], report: (p: SyncProgress) => void): Promise<WecomUser[]> {
  let read = 0
  report({ stage: 'members', done: 0, total: followUsers.length })
  return mapConcurrent(followUsers, MEMBER_READS, async (userid) => {
    const user = await client.call('getUser', { query: { userid } })
    report({ stage: 'members', done: ++read, total: followUsers.length })
    return user
  })
}
