import type { DataSource } from 'typeorm'
import { mapConcurrent } from '../concurrency'
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
import type { WecomUser } from '../wecom/apiTypes'

/** batch/get_by_user takes at most 100 members a call and 100 customers a page. */
const MEMBERS_PER_CALL = 100
const PAGE_LIMIT = 100

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
  members: number
  tags: ChangeCounts
  customers: ChangeCounts
  follows: ChangeCounts
}

const CHECKPOINT = 'full-sync'
const zero = (): ChangeCounts => ({ created: 0, updated: 0, removed: 0 })
const add = (into: ChangeCounts, counts: ChangeCounts) => {
  into.created += counts.created
  into.updated += counts.updated
  into.removed += counts.removed
}

export interface FullSyncOptions {
  /** Member chunks fetched at once; WeCom limits concurrency per API (45033). */
  concurrency?: number
  onProgress?: (progress: SyncProgress) => void
  /** Stop after this many customer pages (tests interrupt a sync with it). */
  stopAfterPages?: number
  /** Gets what was cut or skipped of WeCom's records, once per kind per run. */
  logger: Logger
}

export class SyncInterrupted extends Error {}

/**
 * Brings members, corp tags, customers and follows to WeCom's truth (SPEC §4.1): changes
 * made through the API send no callback, and missed callbacks are never resent. A
 * checkpoint after every page lets an interrupted sync resume where it stopped.
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
  const checkpoint: Checkpoint = saved ? JSON.parse(saved.state) : await startSync(dataSource, client, report, log, options.logger)
  const save = () => repository.save({ name: CHECKPOINT, state: JSON.stringify(checkpoint), updatedAt: new Date() })
  if (!resumed) await save()

  const syncedAt = new Date(checkpoint.startedAt)
  const total = checkpoint.chunks.length
  const chunksDone = () => Object.values(checkpoint.cursors).filter((c) => c === 'done').length
  report({ stage: 'customers', done: chunksDone(), total })

  let pages = 0
  const pending = checkpoint.chunks.map((_, i) => i).filter((i) => checkpoint.cursors[i] !== 'done')
  const syncChunk = async (index: number) => {
    const userids = checkpoint.chunks[index]!
    let cursor = checkpoint.cursors[index] ?? ''
    for (;;) {
      if (options.stopAfterPages !== undefined && pages >= options.stopAfterPages) throw new SyncInterrupted('stopped on request')
      const readAt = new Date()
      const page = await client.call('batchGetByUser', { body: { userid_list: userids, cursor, limit: PAGE_LIMIT } })
      pages++
      // Counted after the commit: a transaction retried after a deadlock must not count twice.
      const counts = await upsertTransaction(dataSource, async (tx) => {
        const entries = page.external_contact_list
        const followers = entries.map((entry) => followerFromWecom(entry.follow_info, rawId(entry.external_contact, 'external_userid'), log))
        const memberIds = await ensureMembers(tx, followers.flatMap((f) => f?.userid ?? []), log)
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
        // Per page, in its transaction: an order waiting for one of these customers is matched as it arrives.
        await bindLearnedIdentities(tx, combineLearned(customers.learned, follows.learned))
        return { customers: customers.counts, follows: follows.counts }
      })
      add(checkpoint.customers, counts.customers)
      add(checkpoint.follows, counts.follows)
      cursor = page.next_cursor ?? ''
      checkpoint.cursors[index] = cursor === '' ? 'done' : cursor
      await save()
      if (cursor === '') break
    }
    report({ stage: 'customers', done: chunksDone(), total })
  }
  await mapConcurrent(pending, options.concurrency ?? 4, syncChunk)

  // Follows of these members that WeCom did not list since the sync began are gone.
  report({ stage: 'removals', done: 0, total: 1 })
  const memberIds = await ensureMembers(dataSource.manager, checkpoint.chunks.flat(), log)
  checkpoint.follows.removed += await markUnlistedFollowersDeleted(
    dataSource.manager,
    { memberIds: [...memberIds.values()], unseenSince: syncedAt },
    new Date(),
  )
  await repository.delete({ name: CHECKPOINT })
  report({ stage: 'removals', done: 1, total: 1 })
  return {
    members: checkpoint.members,
    tags: checkpoint.tags,
    customers: checkpoint.customers,
    follows: checkpoint.follows,
    resumed,
    seconds: (Date.now() - started) / 1000,
  }
}

/** Members, departments and tags first: customers' follows refer to them. */
async function startSync(dataSource: DataSource, client: WecomClient, report: (p: SyncProgress) => void, log: MirrorLog, logger: Logger): Promise<Checkpoint> {
  const startedAt = new Date().toISOString()
  const { follow_user: followUsers } = await client.call('listFollowUsers', { query: {} })
  const { department } = await client.call('listDepartments', { query: {} })
  await upsertDepartments(dataSource.manager, department, log)

  let read = 0
  report({ stage: 'members', done: 0, total: followUsers.length })
  const users: WecomUser[] = await mapConcurrent(followUsers, 8, async (userid) => {
    const user = await client.call('getUser', { query: { userid } })
    report({ stage: 'members', done: ++read, total: followUsers.length })
    return user
  })
  await upsertMembers(dataSource.manager, users, log)
  await setFollowUsers(dataSource.manager, followUsers)

  report({ stage: 'tags', done: 0, total: 1 })
  const tags = await createRefresher(dataSource, client, logger).corpTags(log)
  report({ stage: 'tags', done: 1, total: 1 })

  const chunks: string[][] = []
  for (let i = 0; i < followUsers.length; i += MEMBERS_PER_CALL) chunks.push(followUsers.slice(i, i + MEMBERS_PER_CALL))
  return { startedAt, chunks, cursors: {}, members: users.length, tags, customers: zero(), follows: zero() }
}
