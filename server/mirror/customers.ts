import { In, Not, type EntityManager } from 'typeorm'
import { insertRows, query } from '../db/sql'
import { Customer, FollowRelation, type FollowStatus } from '../entities'
import type { ExternalContact, FollowInfo } from '../wecom/apiTypes'
import { whereStatusOlderThan } from '../rules/followStatus'
import { fitRecord, readRecord, wecomShapes, type MirrorLog } from './mirrorInput'
import { tagIdsByWecomId } from './tags'

/** One member's follow of a customer, as WeCom reports it (get and batch/get_by_user alike). */
export interface Follower {
  userid: string
  remark: string
  description: string
  remarkCorpName: string
  remarkMobiles: string[]
  addWay: number
  operUserid: string
  state: string
  addedAt: Date
  /** WeCom ids of the corp tags on this follow. */
  tagIds: string[]
}

/**
 * A follow of the customer `externalUserid` as WeCom reports it, read and fitted to our
 * columns; null when it cannot be read (logged).
 */
export function followerFromWecom(raw: FollowInfo, externalUserid: string | undefined, log: MirrorLog): Follower | null {
  const info = readRecord(log, 'follow', wecomShapes.followInfo, raw, 'userid')
  if (!info) return null
  // `get` lists tags with their type (only corp tags, type 1, carry an id we mirror);
  // `batch/get_by_user` gives the bare ids.
  const tagIds = info.tag_id ?? (info.tags ?? []).filter((t) => (t.type ?? 1) === 1 && t.tag_id).map((t) => t.tag_id!)
  const columns = fitRecord(
    log,
    { entity: 'follow', id: [info.userid, externalUserid].filter(Boolean).join(' ') },
    FollowRelation,
    { remark: info.remark ?? '', description: info.description ?? '', remarkCorpName: info.remark_corp_name ?? '', operUserid: info.oper_userid ?? '', state: info.state ?? '' },
    // A cut state would name another channel, a cut userid another member.
    { ids: ['operUserid', 'state'] },
  )!
  return {
    userid: info.userid,
    ...columns,
    remarkMobiles: (info.remark_mobiles ?? []).filter(Boolean),
    addWay: info.add_way ?? 0,
    addedAt: new Date((info.createtime ?? 0) * 1000),
    tagIds: [...new Set(tagIds)],
  }
}

export interface ChangeCounts {
  created: number
  updated: number
  removed: number
}

/**
 * What a mirror write learned of customers' identities elsewhere, for order matching to
 * bind (the mirror itself knows nothing of orders).
 */
export interface LearnedIdentities {
  /** Customers by external_userid whom orders may be waiting for: those stored for the first time. */
  customers: string[]
  /** Identities WeCom showed: a customer's unionid, the mobiles a member noted in their remark (as written). */
  seen: { customerId: number; kind: 'unionid' | 'remark_mobile'; value: string }[]
}

/** Several writes' learnings as one. */
export const combineLearned = (...parts: LearnedIdentities[]): LearnedIdentities => ({
  customers: parts.flatMap((part) => part.customers),
  seen: parts.flatMap((part) => part.seen),
})

/**
 * The identities we hold of these customers (by external_userid) as mirror writes reported
 * them: for a step that runs after the write, possibly in a later attempt. Every stored
 * customer counts as possibly new: matching one that is not finds no waiting order.
 */
export async function storedIdentities(manager: EntityManager, externalUserids: string[]): Promise<LearnedIdentities> {
  if (externalUserids.length === 0) return { customers: [], seen: [] }
  const customers = await manager.find(Customer, { select: { id: true, externalUserid: true, unionid: true }, where: { externalUserid: In(externalUserids) } })
  if (customers.length === 0) return { customers: [], seen: [] }
  const follows = await manager.find(FollowRelation, { select: { customerId: true, remarkMobiles: true }, where: { customerId: In(customers.map((c) => c.id)) } })
  return {
    customers: customers.map((c) => c.externalUserid),
    seen: [
      ...customers.flatMap((c) => (c.unionid ? [{ customerId: c.id, kind: 'unionid' as const, value: c.unionid }] : [])),
      ...follows.flatMap((f) => (f.remarkMobiles ?? []).map((value) => ({ customerId: f.customerId, kind: 'remark_mobile' as const, value }))),
    ],
  }
}

/** A customer's columns from WeCom's record, fitted; null when it cannot be stored (logged). */
function customerColumns(raw: ExternalContact, log: MirrorLog) {
  const contact = readRecord(log, 'customer', wecomShapes.externalContact, raw, 'external_userid')
  if (!contact) return null
  return fitRecord(
    log,
    { entity: 'customer', id: contact.external_userid },
    Customer,
    {
      externalUserid: contact.external_userid,
      name: contact.name,
      avatar: contact.avatar || null,
      type: contact.type ?? 1,
      gender: contact.gender ?? 0,
      unionid: contact.unionid || null,
      corpName: contact.corp_name || null,
      corpFullName: contact.corp_full_name || null,
      position: contact.position || null,
    },
    // A cut unionid could match another customer's orders.
    { key: 'externalUserid', ids: ['unionid'] },
  )
}

/** The customer columns a WeCom record sets, as `customerColumns` names them and the table spells them. */
const CUSTOMER_COLUMNS = [
  ['externalUserid', 'external_userid'],
  ['name', 'name'],
  ['avatar', 'avatar'],
  ['type', 'type'],
  ['gender', 'gender'],
  ['unionid', 'unionid'],
  ['corpName', 'corp_name'],
  ['corpFullName', 'corp_full_name'],
  ['position', 'position'],
] as const
type CustomerFields = NonNullable<ReturnType<typeof customerColumns>>

/**
 * Upserts customers by external_userid; returns the ids of those stored, how many were new
 * or changed, and what it learned of their identities. A record that cannot be stored is
 * left out (logged), and has no id. Raw SQL: the sync writes 100 customers a page, where
 * TypeORM's query builder cost more CPU than the database did.
 */
export async function upsertCustomers(
  manager: EntityManager,
  contacts: ExternalContact[],
  log: MirrorLog,
  now = new Date(),
): Promise<{ ids: Map<string, number>; counts: ChangeCounts; learned: LearnedIdentities }> {
  const readable = contacts.flatMap((contact) => customerColumns(contact, log) ?? [])
  const unique = [...new Map(readable.map((c) => [c.externalUserid, c])).values()]
  const counts: ChangeCounts = { created: 0, updated: 0, removed: 0 }
  if (unique.length === 0) return { ids: new Map(), counts, learned: { customers: [], seen: [] } }
  const stored = await query<Record<string, unknown> & { id: number; external_userid: string }>(
    manager,
    `SELECT id, ${CUSTOMER_COLUMNS.map(([, column]) => column).join(', ')} FROM customers WHERE external_userid IN (:...externalUserids)`,
    { externalUserids: unique.map((c) => c.externalUserid) },
  )
  const existing = new Map(stored.map((row) => [row.external_userid, row]))
  const changed = unique.filter((fields) => {
    const known = existing.get(fields.externalUserid)
    if (!known) {
      counts.created++
      return true
    }
    const differs = CUSTOMER_COLUMNS.some(([key, column]) => known[column] !== fields[key])
    if (differs) counts.updated++
    return differs
  })
  await insertRows(
    manager,
    'customers',
    [...CUSTOMER_COLUMNS.map(([, column]) => column), 'created_at', 'updated_at'],
    changed.map((c: CustomerFields) => [...CUSTOMER_COLUMNS.map(([key]) => c[key]), now, now]),
    { keys: ['external_userid'], update: [...CUSTOMER_COLUMNS.slice(1).map(([, column]) => column), 'updated_at'] },
  )
  const ids = new Map([...existing.values()].map((row) => [row.external_userid, row.id]))
  const created = unique.filter((c) => !existing.has(c.externalUserid)).map((c) => c.externalUserid)
  if (created.length > 0) {
    const rows = await query<{ id: number; external_userid: string }>(manager, 'SELECT id, external_userid FROM customers WHERE external_userid IN (:...created)', { created })
    for (const row of rows) ids.set(row.external_userid, row.id)
  }
  const seen = unique.filter((c) => c.unionid).map((c) => ({ customerId: ids.get(c.externalUserid)!, kind: 'unionid' as const, value: c.unionid! }))
  return { ids, counts, learned: { customers: created, seen } }
}

export interface FollowerRow {
  memberId: number
  customerId: number
  follower: Follower
}

const relationKey = (memberId: number, customerId: number) => `${memberId}:${customerId}`

/** What a stored follow is compared on: the fields WeCom sets, and its status. */
interface StoredFollow {
  id: number
  memberId: number
  customerId: number
  remark: string
  description: string
  remarkCorpName: string
  remarkMobiles: string[]
  addWay: number
  state: string
  status: FollowStatus
}

/** The columns a WeCom follow sets, in the order `followValues` gives them. */
const FOLLOW_COLUMNS = ['member_id', 'customer_id', 'remark', 'description', 'remark_corp_name', 'remark_mobiles', 'add_way', 'oper_userid', 'state', 'added_at'] as const

const followValues = ({ memberId, customerId, follower }: FollowerRow) => [
  memberId,
  customerId,
  follower.remark,
  follower.description,
  follower.remarkCorpName,
  JSON.stringify(follower.remarkMobiles),
  follower.addWay,
  follower.operUserid,
  follower.state,
  follower.addedAt,
]

/** The follows of these customers, by relationKey. */
async function storedFollows(manager: EntityManager, customerIds: number[]): Promise<Map<string, StoredFollow>> {
  const rows = await query<{
    id: number
    member_id: number
    customer_id: number
    remark: string
    description: string
    remark_corp_name: string
    remark_mobiles: string
    add_way: number
    state: string
    status: FollowStatus
  }>(
    manager,
    'SELECT id, member_id, customer_id, remark, description, remark_corp_name, remark_mobiles, add_way, state, status FROM follow_relations WHERE customer_id IN (:...customerIds)',
    { customerIds },
  )
  return new Map(
    rows.map((row) => [
      relationKey(row.member_id, row.customer_id),
      {
        id: row.id,
        memberId: row.member_id,
        customerId: row.customer_id,
        remark: row.remark,
        description: row.description,
        remarkCorpName: row.remark_corp_name,
        remarkMobiles: JSON.parse(row.remark_mobiles),
        addWay: row.add_way,
        state: row.state,
        status: row.status,
      },
    ]),
  )
}

/**
 * Writes what WeCom says of these follows, read at `readAt`: their fields and corp tags;
 * returns how many were new or changed, and the remark mobiles seen.
 * A follow WeCom lists is live, so one we had as deleted by the member is active again,
 * unless that deletion is newer than the read (an event processed while we were reading).
 * A follow deleted by the customer stays so: WeCom keeps listing one-way relations.
 */
export async function upsertFollowers(
  manager: EntityManager,
  rows: FollowerRow[],
  { readAt, syncedAt = null }: { readAt: Date; syncedAt?: Date | null },
): Promise<{ counts: ChangeCounts; learned: LearnedIdentities }> {
  const counts: ChangeCounts = { created: 0, updated: 0, removed: 0 }
  const unique = [...new Map(rows.map((row) => [relationKey(row.memberId, row.customerId), row])).values()]
  if (unique.length === 0) return { counts, learned: { customers: [], seen: [] } }
  const customerIds = [...new Set(unique.map((row) => row.customerId))]
  const wanted = new Set(unique.map((row) => relationKey(row.memberId, row.customerId)))
  const existing = new Map([...(await storedFollows(manager, customerIds))].filter(([key]) => wanted.has(key)))
  const tagIds = await tagIdsByWecomId(manager, unique.flatMap((row) => row.follower.tagIds))
  const existingTags = await tagsOf(manager, [...existing.values()].map((relation) => relation.id))

  const now = new Date()
  await insertRows(
    manager,
    'follow_relations',
    [...FOLLOW_COLUMNS, 'status', 'synced_at', 'created_at', 'updated_at'],
    unique.map((row) => [...followValues(row), 'active', syncedAt, now, now]),
    {
      keys: ['member_id', 'customer_id'],
      update: [...FOLLOW_COLUMNS.slice(2), 'updated_at', ...(syncedAt ? ['synced_at'] : [])],
    },
  )

  // Only the follows this write created need their ids read back.
  const relationIds = new Map([...existing].map(([key, relation]) => [key, relation.id]))
  const createdCustomers = [...new Set(unique.filter((row) => !existing.has(relationKey(row.memberId, row.customerId))).map((row) => row.customerId))]
  if (createdCustomers.length > 0) {
    const created = await query<{ id: number; member_id: number; customer_id: number }>(
      manager,
      'SELECT id, member_id, customer_id FROM follow_relations WHERE customer_id IN (:...createdCustomers)',
      { createdCustomers },
    )
    for (const r of created) relationIds.set(relationKey(r.member_id, r.customer_id), r.id)
  }

  // Rarely needed, so only issued when some follow is deleted by the member: an UPDATE on
  // every page would lock rows that concurrent sync chunks are upserting.
  const toReactivate = [...existing.values()].filter((relation) => relation.status === 'deleted_by_member').map((relation) => relation.id)
  const reactivated =
    toReactivate.length === 0
      ? { affected: 0 }
      : await whereStatusOlderThan(
          manager.createQueryBuilder().update(FollowRelation).set({ status: 'active', statusChangedAt: readAt }).where({ id: In(toReactivate) }).andWhere("status = 'deleted_by_member'"),
          readAt,
        ).execute()

  const links: [followRelationId: number, tagId: number, createdAt: Date][] = []
  const written: number[] = []
  for (const row of unique) {
    const key = relationKey(row.memberId, row.customerId)
    const relationId = relationIds.get(key)!
    written.push(relationId)
    const tags = row.follower.tagIds.map((id) => tagIds.get(id)).filter((id): id is number => id !== undefined)
    links.push(...tags.map((tagId): [number, number, Date] => [relationId, tagId, now]))
    const known = existing.get(key)
    if (!known) counts.created++
    else if (followerChanged(known, row.follower, existingTags.get(known.id) ?? [], tags)) counts.updated++
  }
  counts.updated += reactivated.affected ?? 0
  await replaceTags(manager, written, links)
  const seen = unique.flatMap(({ customerId, follower }) => follower.remarkMobiles.map((value) => ({ customerId, kind: 'remark_mobile' as const, value })))
  return { counts, learned: { customers: [], seen } }
}

function followerChanged(known: StoredFollow, follower: Follower, knownTags: number[], tags: number[]): boolean {
  return (
    known.remark !== follower.remark ||
    known.description !== follower.description ||
    known.remarkCorpName !== follower.remarkCorpName ||
    JSON.stringify(known.remarkMobiles) !== JSON.stringify(follower.remarkMobiles) ||
    known.addWay !== follower.addWay ||
    known.state !== follower.state ||
    [...knownTags].sort().join() !== [...tags].sort().join()
  )
}

async function tagsOf(manager: EntityManager, relationIds: number[]): Promise<Map<number, number[]>> {
  const tags = new Map<number, number[]>()
  if (relationIds.length === 0) return tags
  const links = await query<{ follow_relation_id: number; tag_id: number }>(manager, 'SELECT follow_relation_id, tag_id FROM follow_tags WHERE follow_relation_id IN (:...relationIds)', {
    relationIds,
  })
  for (const link of links) tags.set(link.follow_relation_id, [...(tags.get(link.follow_relation_id) ?? []), link.tag_id])
  return tags
}

async function replaceTags(manager: EntityManager, relationIds: number[], links: [followRelationId: number, tagId: number, createdAt: Date][]) {
  if (relationIds.length === 0) return
  await query(manager, 'DELETE FROM follow_tags WHERE follow_relation_id IN (:...relationIds)', { relationIds })
  // A link already there (written meanwhile by an event) is kept as it is: the update is a no-op.
  await insertRows(manager, 'follow_tags', ['follow_relation_id', 'tag_id', 'created_at'], links, { keys: ['follow_relation_id', 'tag_id'], update: ['tag_id'] })
}

/**
 * WeCom no longer lists these follows: the member deleted the customer. Applied only to
 * follows whose status is older than the read, so a later event is never overwritten.
 */
export async function markUnlistedFollowersDeleted(
  manager: EntityManager,
  where: { customerId: number; listedMemberIds: number[] } | { memberIds: number[]; unseenSince: Date },
  readAt: Date,
): Promise<number> {
  const update = whereStatusOlderThan(
    manager.createQueryBuilder().update(FollowRelation).set({ status: 'deleted_by_member', statusChangedAt: readAt, updatedAt: new Date() }).where("status = 'active'"),
    readAt,
  )
  if ('customerId' in where) {
    update.andWhere('customer_id = :customerId', { customerId: where.customerId })
    if (where.listedMemberIds.length > 0) update.andWhere({ memberId: Not(In(where.listedMemberIds)) })
  } else {
    if (where.memberIds.length === 0) return 0
    update.andWhere({ memberId: In(where.memberIds) }).andWhere('(synced_at IS NULL OR synced_at < :unseenSince)', { unseenSince: where.unseenSince })
  }
  return (await update.execute()).affected ?? 0
}

/**
 * Sets a follow's status from an event that happened at `at` (its CreateTime); an older
 * event than the one that set the current status changes nothing. Returns whether it applied.
 */
export async function setFollowStatus(
  manager: EntityManager,
  { memberId, customerId }: FollowKey,
  status: FollowStatus,
  at: Date,
): Promise<boolean> {
  const result = await whereStatusOlderThan(
    manager.createQueryBuilder().update(FollowRelation).set({ status, statusChangedAt: at, updatedAt: new Date() }).where('member_id = :memberId AND customer_id = :customerId', { memberId, customerId }),
    at,
  ).execute()
  return (result.affected ?? 0) > 0
}

/** A follow by its two ids. */
export interface FollowKey {
  memberId: number
  customerId: number
}

/** The follow of (member, customer) as we have it, by WeCom's ids; null when we have none. */
export async function findFollow(manager: EntityManager, userid: string, externalUserid: string): Promise<FollowKey | null> {
  const found = await manager
    .createQueryBuilder(FollowRelation, 'f')
    .innerJoin('members', 'm', 'm.id = f.member_id')
    .innerJoin('customers', 'c', 'c.id = f.customer_id')
    .where('m.userid = :userid AND c.external_userid = :externalUserid', { userid, externalUserid })
    .select(['f.memberId', 'f.customerId'])
    .getOne()
  return found ? { memberId: found.memberId, customerId: found.customerId } : null
}

/**
 * Follows WeCom listed that we could not read: seen all the same, so that the sync's removal
 * step does not take them for deleted. Rare, so one statement each.
 */
export async function markFollowsSeen(manager: EntityManager, follows: { userid: string; externalUserid: string }[], syncedAt: Date): Promise<void> {
  for (const { userid, externalUserid } of follows) {
    await manager
      .createQueryBuilder()
      .update(FollowRelation)
      .set({ syncedAt })
      .where('member_id IN (SELECT id FROM members WHERE userid = :userid)', { userid })
      .andWhere('customer_id IN (SELECT id FROM customers WHERE external_userid = :externalUserid)', { externalUserid })
      .execute()
  }
}
