/** Re-reading WeCom's current state and writing it: what handlers and sync share. */
import type { DataSource } from 'typeorm'
import { upsertTransaction } from '../db/transaction'
import { Customer, FollowRelation } from '../entities'
import type { WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'
import { WecomCode, type ExternalContact, type FollowInfo } from '../wecom/apiTypes'
import { followerFromWecom, markUnlistedFollowersDeleted, upsertCustomers, upsertFollowers } from './customers'
import { deleteDepartment, ensureMembers, markMemberLeft, renameMember, upsertDepartments, upsertMembers } from './members'
import { mirrorCorpTags, tagIdsByWecomId } from './tags'

export type Refresher = ReturnType<typeof createRefresher>

export function createRefresher(dataSource: DataSource, client: WecomClient) {
  async function corpTags() {
    const { tag_group } = await client.call('getCorpTags', { body: {} })
    return mirrorCorpTags(dataSource.manager, tag_group)
  }

  /** Mirrors corp tags again when WeCom names tags we have not seen (an event may precede its tag event). */
  async function ensureTagsKnown(tagIds: string[]): Promise<void> {
    const unique = [...new Set(tagIds)]
    if (unique.length === 0) return
    const known = await tagIdsByWecomId(dataSource.manager, unique)
    if (known.size < unique.length) await corpTags()
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

  /** Brings one customer, its follows and their tags to WeCom's current state. */
  async function customer(externalUserid: string): Promise<void> {
    const readAt = new Date()
    const current = await readCustomer(externalUserid)
    if (!current) {
      const known = await dataSource.manager.findOneBy(Customer, { externalUserid })
      if (known) await markUnlistedFollowersDeleted(dataSource.manager, { customerId: known.id, listedMemberIds: [] }, readAt)
      return
    }
    const followers = current.followers.map(followerFromWecom)
    await ensureTagsKnown(followers.flatMap((f) => f.tagIds))
    await upsertTransaction(dataSource, async (tx) => {
      const memberIds = await ensureMembers(tx, followers.map((f) => f.userid))
      const { ids } = await upsertCustomers(tx, [current.contact])
      const customerId = ids.get(current.contact.external_userid)!
      await upsertFollowers(tx, followers.map((follower) => ({ memberId: memberIds.get(follower.userid)!, customerId, follower })), { readAt })
      await markUnlistedFollowersDeleted(tx, { customerId, listedMemberIds: [...memberIds.values()] }, readAt)
    })
  }

  /** The follow of (member, customer), re-reading the customer first if we do not have it yet. */
  async function follow(userid: string, externalUserid: string): Promise<{ memberId: number; customerId: number } | null> {
    const find = () =>
      dataSource.manager
        .createQueryBuilder(FollowRelation, 'f')
        .innerJoin('members', 'm', 'm.id = f.member_id')
        .innerJoin('customers', 'c', 'c.id = f.customer_id')
        .where('m.userid = :userid AND c.external_userid = :externalUserid', { userid, externalUserid })
        .select(['f.memberId', 'f.customerId'])
        .getOne()
    const found = (await find()) ?? (await customer(externalUserid).then(find))
    return found ? { memberId: found.memberId, customerId: found.customerId } : null
  }

  async function member(userid: string): Promise<void> {
    try {
      const user = await client.call('getUser', { query: { userid } })
      await upsertMembers(dataSource.manager, [user])
    } catch (error) {
      if (error instanceof WecomApiError && error.code === WecomCode.userNotFound) return markMemberLeft(dataSource.manager, userid)
      throw error
    }
  }

  async function department(id: number): Promise<void> {
    let found
    try {
      const { department } = await client.call('listDepartments', { query: { id: String(id) } })
      found = department.find((d) => d.id === id)
    } catch (error) {
      // WeCom answers an error for a department it no longer has.
      if (!(error instanceof WecomApiError) || error.code < 0) throw error
    }
    if (found) await upsertDepartments(dataSource.manager, [found])
    else await deleteDepartment(dataSource.manager, id)
  }

  return {
    corpTags,
    customer,
    follow,
    member,
    department,
    renameMember: (from: string, to: string) => renameMember(dataSource.manager, from, to),
    memberLeft: (userid: string) => markMemberLeft(dataSource.manager, userid),
  }
}
