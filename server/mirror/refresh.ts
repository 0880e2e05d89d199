/** Re-reading WeCom's current state and writing it: what processors and sync share. */
import type { DataSource } from 'typeorm'
import { upsertTransaction } from '../db/transaction'
import { Customer } from '../entities'
import type { WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'
import { WecomCode, type ExternalContact, type FollowInfo } from '../wecom/apiTypes'
import type { Logger } from '../logger'
import type { ExternalChatEvent } from '../wecom/events'
import { findFollow, followerFromWecom, markUnlistedFollowersDeleted, upsertCustomers, upsertFollowers, type FollowKey } from './customers'
import { recordChatChange } from './groupChats'
import { deleteDepartment, ensureMembers, markMemberLeft, memberIds, renameMember, upsertDepartments, upsertMembers } from './members'
import { MirrorLog, rawId } from './mirrorInput'
import { mirrorCorpTags, tagIdsByWecomId } from './tags'

export type Refresher = ReturnType<typeof createRefresher>

/**
 * `logger` gets what was cut or skipped of WeCom's records, once per kind per call; a sync
 * passes its own MirrorLog to corpTags, to log once per run.
 */
export function createRefresher(dataSource: DataSource, client: WecomClient, logger: Logger) {
  /** Runs `work` with a MirrorLog of its own, unless the caller shares one. */
  async function logged<T>(shared: MirrorLog | undefined, work: (log: MirrorLog) => Promise<T>): Promise<T> {
    const log = shared ?? new MirrorLog(logger)
    try {
      return await work(log)
    } finally {
      if (!shared) log.finish()
    }
  }

  function corpTags(shared?: MirrorLog) {
    return logged(shared, async (log) => {
      const { tag_group } = await client.call('getCorpTags', { body: {} })
      return mirrorCorpTags(dataSource.manager, tag_group, log)
    })
  }

  /** Mirrors corp tags again when WeCom names tags we have not seen (an event may precede its tag event). */
  async function ensureTagsKnown(tagIds: string[], log: MirrorLog): Promise<void> {
    const unique = [...new Set(tagIds)]
    if (unique.length === 0) return
    const known = await tagIdsByWecomId(dataSource.manager, unique)
    if (known.size < unique.length) await corpTags(log)
  }

  /**
   * One customer as WeCom shows it now (every page of followers); null when WeCom no
   * longer relates the customer to any member (84061) or does not know the id (40096).
   */
  async function readCustomer(externalUserid: string): Promise<{ contact: ExternalContact; followers: FollowInfo[] } | null> {
    const followers: FollowInfo[] = []
    let contact: ExternalContact | undefined
    let cursor = ''
    try {
      do {
        const page = await client.call('getCustomer', { query: { external_userid: externalUserid, ...(cursor ? { cursor } : {}) } })
        contact = page.external_contact
        followers.push(...page.follow_user)
        cursor = page.next_cursor ?? ''
      } while (cursor)
    } catch (error) {
      if (error instanceof WecomApiError && (error.code === WecomCode.notExternalContact || error.code === WecomCode.invalidExternalUserid)) return null
      throw error
    }
    return { contact: contact!, followers }
  }

  /**
   * Brings one customer, its follows and their tags to WeCom's current state. A customer we
   * cannot read is left as we have it; so is a follow, which counts as listed all the same.
   */
  function customer(externalUserid: string): Promise<void> {
    return logged(undefined, async (log) => {
      const readAt = new Date()
      const current = await readCustomer(externalUserid)
      if (!current) {
        const known = await dataSource.manager.findOneBy(Customer, { externalUserid })
        if (known) await markUnlistedFollowersDeleted(dataSource.manager, { customerId: known.id, listedMemberIds: [] }, readAt)
        return
      }
      const followers = current.followers.flatMap((info) => followerFromWecom(info, externalUserid, log) ?? [])
      const read = new Set(followers.map((f) => f.userid))
      const unread = current.followers.flatMap((info) => rawId(info, 'userid') ?? []).filter((userid) => !read.has(userid))
      await ensureTagsKnown(followers.flatMap((f) => f.tagIds), log)
      await upsertTransaction(dataSource, async (tx) => {
        const { ids } = await upsertCustomers(tx, [current.contact], log)
        const customerId = ids.get(externalUserid)
        if (customerId === undefined) return
        const members = await ensureMembers(tx, followers.map((f) => f.userid), log)
        const rows = followers.flatMap((follower) => (members.has(follower.userid) ? [{ memberId: members.get(follower.userid)!, customerId, follower }] : []))
        await upsertFollowers(tx, rows, { readAt })
        const listed = [...members.values(), ...(await memberIds(tx, unread)).values()]
        await markUnlistedFollowersDeleted(tx, { customerId, listedMemberIds: listed }, readAt)
      })
    })
  }

  /** The follow of (member, customer), re-reading the customer first if we do not have it yet. */
  async function follow(userid: string, externalUserid: string): Promise<FollowKey | null> {
    const find = () => findFollow(dataSource.manager, userid, externalUserid)
    return (await find()) ?? (await customer(externalUserid).then(find))
  }

  function member(userid: string): Promise<void> {
    return logged(undefined, async (log) => {
      try {
        const user = await client.call('getUser', { query: { userid } })
        await upsertMembers(dataSource.manager, [user], log)
      } catch (error) {
        if (error instanceof WecomApiError && error.code === WecomCode.userNotFound) return markMemberLeft(dataSource.manager, userid)
        throw error
      }
    })
  }

  function department(id: number): Promise<void> {
    return logged(undefined, async (log) => {
      let found
      try {
        const { department } = await client.call('listDepartments', { query: { id: String(id) } })
        found = department.find((d) => d.id === id)
      } catch (error) {
        // WeCom answers an error for a department it no longer has.
        if (!(error instanceof WecomApiError) || error.code < 0) throw error
      }
      if (found) await upsertDepartments(dataSource.manager, [found], log)
      else await deleteDepartment(dataSource.manager, id)
    })
  }

  return {
    corpTags,
    customer,
    follow,
    member,
    department,
    renameMember: (from: string, to: string) => logged(undefined, (log) => renameMember(dataSource.manager, from, to, log)),
    groupChat: (event: ExternalChatEvent) => logged(undefined, (log) => recordChatChange(dataSource.manager, event, log)),
    memberLeft: (userid: string) => markMemberLeft(dataSource.manager, userid),
  }
}
