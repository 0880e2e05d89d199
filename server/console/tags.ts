import type { DataSource, EntityManager } from 'typeorm'
import { z } from 'zod'
import { CORP_TAG_NAME_MAX } from '../api/contract'
import { query } from '../db/sql'
import { upsertTransaction } from '../db/transaction'
import { Tag, TagGroup } from '../entities'
import { AppError, notFound } from '../errors'
import { SEGMENT_GROUP } from '../jobs/segments'
import type { Logger } from '../logger'
import { wecomShapes } from '../mirror/mirrorInput'
import { createRefresher } from '../mirror/refresh'
import { upsertCorpTag, upsertCorpTagGroup } from '../mirror/tags'
import { retargetScripts } from '../scripts/tagTargets'
import type { Endpoints } from '../wecom/apiTypes'
import type { WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'
import { recordActivity } from './activity'

/** A group on 标签 with its tags, both in WeCom's order; `managed`: the segments job's 客户价值, read-only here. */
export interface TagGroupListing {
  id: number
  wecomGroupId: string
  name: string
  managed: boolean
  tags: { id: number; wecomTagId: string; name: string }[]
}

/** What a change on 标签 needs: the database, WeCom, and a logger for the mirror's fallback re-read. */
export interface TagChangeContext {
  dataSource: DataSource
  client: WecomClient
  logger: Logger
  actorMemberId: number
}

/**
 * A corp tag or group name as WeCom takes it (wecom-protocol.md §3.6): trimmed, not empty,
 * at most 30 characters (code points, as WeCom counts them), and no control characters.
 */
export const corpTagName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((name) => [...name].length <= CORP_TAG_NAME_MAX, `at most ${CORP_TAG_NAME_MAX} characters`)
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'no control characters')

export const isManagedGroup = (name: string) => name === SEGMENT_GROUP

const managedRefusal = () => new AppError('tag_group_managed', `The tag group ${SEGMENT_GROUP} is kept by the segments job; the console does not change it`)
const nameTaken = (what: string, name: string) => new AppError('tag_name_taken', `${what} ${name} exists already`)

/** Every group with its tags in WeCom's order: a higher order first, equal orders in the order they were created. */
export async function listTagGroups(manager: EntityManager): Promise<TagGroupListing[]> {
  const rows = await query<{ group_id: number; wecom_group_id: string; group_name: string; tag_id: number | null; wecom_tag_id: string | null; tag_name: string | null }>(
    manager,
    `SELECT g.id AS group_id, g.wecom_group_id, g.name AS group_name, t.id AS tag_id, t.wecom_tag_id, t.name AS tag_name
       FROM tag_groups g LEFT JOIN tags t ON t.group_id = g.id
      ORDER BY g.sort_order DESC, g.created_at, g.id, t.sort_order DESC, t.created_at, t.id`,
  )
  const groups = new Map<number, TagGroupListing>()
  for (const row of rows) {
    const id = Number(row.group_id)
    let group = groups.get(id)
    if (!group) {
      group = { id, wecomGroupId: row.wecom_group_id, name: row.group_name, managed: isManagedGroup(row.group_name), tags: [] }
      groups.set(id, group)
    }
    if (row.tag_id !== null) group.tags.push({ id: Number(row.tag_id), wecomTagId: row.wecom_tag_id!, name: row.tag_name! })
  }
  return [...groups.values()]
}

async function groupOf(manager: EntityManager, groupId: number): Promise<TagGroupListing> {
  const group = (await listTagGroups(manager)).find((g) => g.id === groupId)
  if (!group) throw notFound('No such tag group')
  return group
}

/** The group a tag belongs to, and the tag; 404 when we have no such tag. */
async function tagOf(manager: EntityManager, tagId: number) {
  const tag = await manager.findOneBy(Tag, { id: tagId })
  if (!tag) throw notFound('No such tag')
  const group = await groupOf(manager, tag.groupId)
  return { group, tag: group.tags.find((t) => t.id === tagId)! }
}

/** One WeCom call; its refusal (or not reaching it) becomes 502 wecom_refused, before anything of ours changed. */
async function askWecom<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof WecomApiError) throw new AppError('wecom_refused', `WeCom refused ${error.path} (${error.code})`)
    throw error
  }
}

/** add_corp_tag's answer as we read it: the group and its tags named by WeCom's ids. */
function readAddAnswer(answer: Endpoints['addCorpTag']['response']) {
  const group = wecomShapes.tagGroup.safeParse(answer.tag_group)
  if (!group.success) return null
  const tags = (group.data.tag ?? []).map((raw) => wecomShapes.tag.safeParse(raw))
  if (tags.some((tag) => !tag.success)) return null
  return { ...group.data, tag: tags.map((tag) => tag.data!) }
}

/**
 * Mirrors what add_corp_tag answered: the group and the tags it names, upserted by WeCom's
 * ids (a name WeCom already had answers with the existing tag). An answer we cannot read is
 * not guessed at: the whole of WeCom's tags are read again instead.
 */
async function mirrorAddAnswer(context: TagChangeContext, answer: Endpoints['addCorpTag']['response'], activity: { action: string; detail: (group: TagGroupListing) => Record<string, unknown> }): Promise<TagGroupListing> {
  const { dataSource, client, logger, actorMemberId } = context
  const read = readAddAnswer(answer)
  const now = new Date()
  if (!read) {
    logger.warn({ path: 'add_corp_tag' }, 'WeCom answered add_corp_tag in a shape we cannot read: reading every corp tag again')
    await createRefresher(dataSource, client, logger).corpTags()
    const wecomGroupId = typeof answer.tag_group?.group_id === 'string' ? answer.tag_group.group_id : ''
    const group = (await listTagGroups(dataSource.manager)).find((g) => g.wecomGroupId === wecomGroupId)
    if (!group) throw new Error('WeCom accepted add_corp_tag but does not list the group')
    await recordActivity(dataSource.manager, { actorMemberId, action: activity.action, detail: activity.detail(group) })
    return group
  }
  return upsertTransaction(dataSource, async (tx) => {
    await upsertCorpTagGroup(tx, { ...read, wecomGroupId: read.group_id, name: read.group_name }, now)
    const { id: groupId } = await tx.findOneByOrFail(TagGroup, { wecomGroupId: read.group_id })
    for (const tag of read.tag) await upsertCorpTag(tx, groupId, { ...tag, wecomTagId: tag.id }, now)
    const group = await groupOf(tx, groupId)
    await recordActivity(tx, { actorMemberId, action: activity.action, detail: activity.detail(group) }, now)
    return group
  })
}

/** Names WeCom answered with, by WeCom id: what the activity log keeps of tags. */
const tagRefs = (tags: { wecomTagId: string; name: string }[]) => tags.map((tag) => ({ wecomTagId: tag.wecomTagId, name: tag.name }))

/**
 * A new group with its tags (SPEC §3.5 新建标签组), created in WeCom, then mirrored from its
 * answer. Refused before WeCom: the managed group's name, a group name we have (add_corp_tag
 * would add into that group instead), and a name twice in the list.
 */
export async function createTagGroup(context: TagChangeContext, input: { name: string; tags: string[] }): Promise<TagGroupListing> {
  if (isManagedGroup(input.name)) throw managedRefusal()
  const groups = await listTagGroups(context.dataSource.manager)
  if (groups.some((g) => g.name === input.name)) throw nameTaken('A tag group named', input.name)
  const twice = input.tags.find((name, index) => input.tags.indexOf(name) !== index)
  if (twice !== undefined) throw nameTaken('The list names the tag', twice)
  // A higher order sorts first in WeCom: the tags keep the order they were written in.
  const tag = input.tags.map((name, index) => ({ name, order: input.tags.length - index }))
  const answer = await askWecom(() => context.client.call('addCorpTag', { body: { group_name: input.name, tag } }))
  return mirrorAddAnswer(context, answer, {
    action: 'tag_group_created',
    detail: (group) => ({ wecomGroupId: group.wecomGroupId, name: group.name, tags: tagRefs(group.tags) }),
  })
}

/** A new tag at the end of a group (after its tags, whose orders are higher or equal). */
export async function addTag(context: TagChangeContext, groupId: number, name: string): Promise<TagGroupListing> {
  const group = await groupOf(context.dataSource.manager, groupId)
  if (group.managed) throw managedRefusal()
  if (group.tags.some((t) => t.name === name)) throw nameTaken(`The group ${group.name} has a tag`, name)
  const answer = await askWecom(() => context.client.call('addCorpTag', { body: { group_id: group.wecomGroupId, tag: [{ name, order: 0 }] } }))
  return mirrorAddAnswer(context, answer, {
    action: 'corp_tag_created',
    detail: (mirrored) => ({ wecomGroupId: mirrored.wecomGroupId, group: mirrored.name, tag: tagRefs(mirrored.tags.filter((t) => t.name === name))[0] ?? { name } }),
  })
}

/** Renames a group in WeCom, then here; group names are unique in WeCom, and the managed name is the segments job's. */
export async function renameTagGroup(context: TagChangeContext, groupId: number, name: string): Promise<TagGroupListing> {
  const { dataSource, client, actorMemberId } = context
  const groups = await listTagGroups(dataSource.manager)
  const group = groups.find((g) => g.id === groupId)
  if (!group) throw notFound('No such tag group')
  if (group.managed || isManagedGroup(name)) throw managedRefusal()
  if (group.name === name) return group
  if (groups.some((g) => g.id !== groupId && g.name === name)) throw nameTaken('A tag group named', name)
  await askWecom(() => client.call('editCorpTag', { body: { id: group.wecomGroupId, name } }))
  return upsertTransaction(dataSource, async (tx) => {
    await tx.update(TagGroup, { id: groupId }, { name, updatedAt: new Date() })
    await recordActivity(tx, { actorMemberId, action: 'tag_group_renamed', detail: { wecomGroupId: group.wecomGroupId, from: group.name, to: name } })
    return groupOf(tx, groupId)
  })
}

/** Renames a tag in WeCom, then here; names are unique within a group. */
export async function renameTag(context: TagChangeContext, tagId: number, name: string): Promise<TagGroupListing> {
  const { dataSource, client, actorMemberId } = context
  const { group, tag } = await tagOf(dataSource.manager, tagId)
  if (group.managed) throw managedRefusal()
  if (tag.name === name) return group
  if (group.tags.some((t) => t.id !== tagId && t.name === name)) throw nameTaken(`The group ${group.name} has a tag`, name)
  await askWecom(() => client.call('editCorpTag', { body: { id: tag.wecomTagId, name } }))
  return upsertTransaction(dataSource, async (tx) => {
    await tx.update(Tag, { id: tagId }, { name, updatedAt: new Date() })
    await retargetScripts(tx, tag.name, name)
    await recordActivity(tx, { actorMemberId, action: 'corp_tag_renamed', detail: { wecomTagId: tag.wecomTagId, group: group.name, from: tag.name, to: name } })
    return groupOf(tx, group.id)
  })
}

/** Deletes a group and its tags in WeCom, then here (customers' marks of them go with them). */
export async function deleteTagGroup(context: TagChangeContext, groupId: number): Promise<void> {
  const { dataSource, client, actorMemberId } = context
  const group = await groupOf(dataSource.manager, groupId)
  if (group.managed) throw managedRefusal()
  await askWecom(() => client.call('delCorpTag', { body: { group_id: [group.wecomGroupId] } }))
  await upsertTransaction(dataSource, async (tx) => {
    await removeGroup(tx, group)
    await recordActivity(tx, { actorMemberId, action: 'tag_group_deleted', detail: { wecomGroupId: group.wecomGroupId, name: group.name, tags: tagRefs(group.tags) } })
  })
}

/**
 * Deletes a tag in WeCom, then here. WeCom deletes a group left without tags (wecom-protocol.md
 * §3.6), so the last tag takes its group with it here too; `groupDeleted` says so.
 */
export async function deleteTag(context: TagChangeContext, tagId: number): Promise<{ groupDeleted: boolean }> {
  const { dataSource, client, actorMemberId } = context
  const { group, tag } = await tagOf(dataSource.manager, tagId)
  if (group.managed) throw managedRefusal()
  await askWecom(() => client.call('delCorpTag', { body: { tag_id: [tag.wecomTagId] } }))
  const groupDeleted = group.tags.every((t) => t.id === tagId)
  await upsertTransaction(dataSource, async (tx) => {
    if (groupDeleted) await removeGroup(tx, group)
    else await tx.delete(Tag, { id: tagId })
    await recordActivity(tx, { actorMemberId, action: 'corp_tag_deleted', detail: { wecomTagId: tag.wecomTagId, group: group.name, name: tag.name, ...(groupDeleted ? { groupDeleted: true } : {}) } })
  })
  return { groupDeleted }
}

/** A group and its tags; follow_tags rows go with the tags (ON DELETE CASCADE). */
async function removeGroup(tx: EntityManager, group: TagGroupListing): Promise<void> {
  await tx.delete(Tag, { groupId: group.id })
  await tx.delete(TagGroup, { id: group.id })
}
