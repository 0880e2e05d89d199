import type { DataSource } from 'typeorm'
import { upsertTransaction } from '../db/transaction'
import { SyncCheckpoint } from '../entities'
import { followerFromWecom, markUnlistedFollowersDeleted, upsertCustomers, upsertFollowers, type ChangeCounts } from '../contacts/customers'
import { ensureMembers, setFollowUsers, upsertDepartments, upsertMembers } from '../contacts/members'
import { createRefresher } from '../contacts/refresh'
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
}

export class SyncInterrupted extends Error {}

/**
 * Brings members, corp tags, customers and follows to WeCom's truth (SPEC §4.1): changes
 * made through the API send no callback, and missed callbacks are never resent. A
 * checkpoint after every page lets an interrupted sync resume where it stopped.
 */
export async function fullSync(dataSource: DataSource, client: WecomClient, options: FullSyncOptions = {}): Promise<SyncSummary> {
  const started = Date.now()
  const report = options.onProgress ?? (() => {})
  const repository = dataSource.getRepository(SyncCheckpoint)
  const saved = await repository.findOneBy({ name: CHECKPOINT })
  const resumed = saved !== null
  const checkpoint: Checkpoint = saved ? JSON.parse(saved.state) : await startSync(dataSource, client, report)
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
        const followers = entries.map((entry) => followerFromWecom(entry.follow_info))
        const memberIds = await ensureMembers(tx, followers.map((f) => f.userid))
        const customers = await upsertCustomers(tx, entries.map((entry) => entry.external_contact))
        const rows = entries.map((entry, i) => ({
          memberId: memberIds.get(followers[i]!.userid)!,
          customerId: customers.ids.get(entry.external_contact.external_userid)!,
          follower: followers[i]!,
        }))
        return { customers: customers.counts, follows: await upsertFollowers(tx, rows, { readAt, syncedAt }) }
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
  const workers = Array.from({ length: Math.min(options.concurrency ?? 4, pending.length) }, async () => {
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) await syncChunk(next)
  })
  await Promise.all(workers)

  // Follows of these members that WeCom did not list since the sync began are gone.
  report({ stage: 'removals', done: 0, total: 1 })
  const memberIds = await ensureMembers(dataSource.manager, checkpoint.chunks.flat())
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
async function startSync(dataSource: DataSource, client: WecomClient, report: (p: SyncProgress) => void): Promise<Checkpoint> {
  const startedAt = new Date().toISOString()
  const { follow_user: followUsers } = await client.call('listFollowUsers', { query: {} })
  const { department } = await client.call('listDepartments', { query: {} })
  await upsertDepartments(dataSource.manager, department)

  const users: WecomUser[] = []
  const queue = [...followUsers]
  report({ stage: 'members', done: 0, total: followUsers.length })
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let userid = queue.shift(); userid !== undefined; userid = queue.shift()) {
        users.push(await client.call('getUser', { query: { userid } }))
        report({ stage: 'members', done: users.length, total: followUsers.length })
      }
    }),
  )
  await upsertMembers(dataSource.manager, users)
  await setFollowUsers(dataSource.manager, followUsers)

  report({ stage: 'tags', done: 0, total: 1 })
  const tags = await createRefresher(dataSource, client).corpTags()
  report({ stage: 'tags', done: 1, total: 1 })

  const chunks: string[][] = []
  for (let i = 0; i < followUsers.length; i += MEMBERS_PER_CALL) chunks.push(followUsers.slice(i, i + MEMBERS_PER_CALL))
  return { startedAt, chunks, cursors: {}, members: users.length, tags, customers: zero(), follows: zero() }
}
