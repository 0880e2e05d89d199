import { In, type EntityManager } from 'typeorm'
import { query } from '../db/sql'
import { Tag, TagGroup } from '../entities'
import type { CorpTagGroup } from '../wecom/apiTypes'
import { fitRecord, rawId, readRecord, wecomShapes, type MirrorLog } from './mirrorInput'
import { retargetScripts } from '../scripts/tagTargets'

export interface MirrorCounts {
  created: number
  updated: number
  removed: number
}

const fromSeconds = (seconds: number | undefined, fallback: Date) => (seconds ? new Date(seconds * 1000) : fallback)

/** A corp-tag group as WeCom describes it, upserted by its WeCom id (the mirror's and the console's one way to write it). */
export async function upsertCorpTagGroup(tx: EntityManager, group: { wecomGroupId: string; name: string; order?: number; create_time?: number }, now: Date): Promise<void> {
  await tx
    .createQueryBuilder()
    .insert()
    .updateEntity(false)
    .into(TagGroup)
    .values({ wecomGroupId: group.wecomGroupId, name: group.name, sortOrder: group.order ?? 0, updatedAt: now, strategyId: null, createdAt: fromSeconds(group.create_time, now) })
    .orUpdate(['name', 'sort_order', 'updated_at'], ['wecom_group_id'])
    .execute()
}

/** A corp tag as WeCom describes it, in our group `groupId`, upserted by its WeCom id. */
export async function upsertCorpTag(tx: EntityManager, groupId: number, tag: { wecomTagId: string; name: string; order?: number; create_time?: number }, now: Date): Promise<void> {
  await tx
    .createQueryBuilder()
    .insert()
    .updateEntity(false)
    .into(Tag)
    .values({ wecomTagId: tag.wecomTagId, groupId, name: tag.name, sortOrder: tag.order ?? 0, updatedAt: now, createdAt: fromSeconds(tag.create_time, now) })
    .orUpdate(['group_id', 'name', 'sort_order', 'updated_at'], ['wecom_tag_id'])
    .execute()
}

/**
 * Makes our corp tags exactly WeCom's (`get_corp_tag_list` without filters): groups and
 * tags upserted by WeCom id, the ones WeCom no longer has removed with their links. A group
 * or tag WeCom lists in a shape we cannot read is left as we have it (logged), not removed.
 */
export async function mirrorCorpTags(manager: EntityManager, groups: CorpTagGroup[], log: MirrorLog, now = new Date()): Promise<MirrorCounts> {
  const counts: MirrorCounts = { created: 0, updated: 0, removed: 0 }
  // Ids of what WeCom listed but we could not read: kept as we have them.
  const unreadable = { groups: new Set<string | undefined>(), tags: new Set<string | undefined>() }
  const liveGroups = groups.flatMap((raw) => {
    const group = readRecord(log, 'tag group', wecomShapes.tagGroup, raw, 'group_id')
    if (!group) unreadable.groups.add(rawId(raw, 'group_id'))
    if (!group || group.deleted) return []
    const columns = fitRecord(log, { entity: 'tag group', id: group.group_id }, TagGroup, { wecomGroupId: group.group_id, name: group.group_name }, { key: 'wecomGroupId' })
    return columns ? [{ ...group, ...columns }] : []
  })
  const liveTags = liveGroups.flatMap((group) =>
    (group.tag ?? []).flatMap((raw) => {
      const tag = readRecord(log, 'tag', wecomShapes.tag, raw, 'id')
      if (!tag) unreadable.tags.add(rawId(raw, 'id'))
      if (!tag || tag.deleted) return []
      const columns = fitRecord(log, { entity: 'tag', id: tag.id }, Tag, { wecomTagId: tag.id, name: tag.name }, { key: 'wecomTagId' })
      return columns ? [{ group, tag: { ...tag, ...columns } }] : []
    }),
  )
  return manager.transaction(async (tx) => {
    const existingGroups = new Map((await tx.find(TagGroup)).map((g) => [g.wecomGroupId, g]))
    const existingTags = new Map((await tx.find(Tag)).map((t) => [t.wecomTagId, t]))

    for (const group of liveGroups) {
      const known = existingGroups.get(group.wecomGroupId)
      const values = { name: group.name, sortOrder: group.order ?? 0, updatedAt: now }
      if (!known) counts.created++
      else if (known.name !== values.name || known.sortOrder !== values.sortOrder) counts.updated++
      await upsertCorpTagGroup(tx, group, now)
    }
    const groupIds = new Map((await tx.find(TagGroup, { select: { id: true, wecomGroupId: true } })).map((g) => [g.wecomGroupId, g.id]))

    const renamed: { from: string; to: string }[] = []
    for (const { group, tag } of liveTags) {
      const known = existingTags.get(tag.wecomTagId)
      const values = { groupId: groupIds.get(group.wecomGroupId)!, name: tag.name, sortOrder: tag.order ?? 0, updatedAt: now }
      if (!known) counts.created++
      else if (known.name !== values.name || known.sortOrder !== values.sortOrder || known.groupId !== values.groupId) counts.updated++
      if (known && known.name !== values.name) renamed.push({ from: known.name, to: values.name })
      await upsertCorpTag(tx, values.groupId, tag, now)
    }

    const keptGroupIds = new Set([...unreadable.groups].map((id) => id && groupIds.get(id)))
    const liveTagIds = new Set([...liveTags.map(({ tag }) => tag.wecomTagId), ...unreadable.tags])
    // An unreadable group keeps its tags: we cannot tell which of them WeCom still has.
    const goneTags = [...existingTags.values()].filter((t) => !liveTagIds.has(t.wecomTagId) && !keptGroupIds.has(t.groupId)).map((t) => t.wecomTagId)
    const liveGroupIds = new Set([...liveGroups.map((g) => g.wecomGroupId), ...unreadable.groups])
    const goneGroups = [...existingGroups.keys()].filter((id) => !liveGroupIds.has(id))
    if (goneTags.length > 0) await tx.delete(Tag, { wecomTagId: In(goneTags) })
    if (goneGroups.length > 0) await tx.delete(TagGroup, { wecomGroupId: In(goneGroups) })
    // Once every tag has its name and the gone ones are gone: a name is free only then.
    for (const { from, to } of renamed) await retargetScripts(tx, from, to)
    counts.removed = goneTags.length + goneGroups.length
    return counts
  })
}

/** WeCom tag id → our tag id, for the tags we have mirrored (raw SQL: the sync asks once a page). */
export async function tagIdsByWecomId(manager: EntityManager, wecomIds: string[]): Promise<Map<string, number>> {
  if (wecomIds.length === 0) return new Map()
  const rows = await query<{ id: number; wecom_tag_id: string }>(manager, 'SELECT id, wecom_tag_id FROM tags WHERE wecom_tag_id IN (:...wecomIds)', { wecomIds: [...new Set(wecomIds)] })
  return new Map(rows.map((row) => [row.wecom_tag_id, row.id]))
}
