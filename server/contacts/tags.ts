import { In, type EntityManager } from 'typeorm'
import { Tag, TagGroup } from '../entities'
import type { CorpTagGroup } from '../wecom/apiTypes'

export interface MirrorCounts {
  created: number
  updated: number
  removed: number
}

const fromSeconds = (seconds: number | undefined, fallback: Date) => (seconds ? new Date(seconds * 1000) : fallback)

/**
 * Makes our corp tags exactly WeCom's (`get_corp_tag_list` without filters): groups and
 * tags upserted by WeCom id, the ones WeCom no longer has removed with their links.
 */
export async function mirrorCorpTags(manager: EntityManager, groups: CorpTagGroup[], now = new Date()): Promise<MirrorCounts> {
  const counts: MirrorCounts = { created: 0, updated: 0, removed: 0 }
  return manager.transaction(async (tx) => {
    const existingGroups = new Map((await tx.find(TagGroup)).map((g) => [g.wecomGroupId, g]))
    const existingTags = new Map((await tx.find(Tag)).map((t) => [t.wecomTagId, t]))
    const liveGroups = groups.filter((g) => !g.deleted)

    for (const group of liveGroups) {
      const known = existingGroups.get(group.group_id)
      const values = { name: group.group_name.slice(0, 64), sortOrder: group.order ?? 0, updatedAt: now }
      if (!known) counts.created++
      else if (known.name !== values.name || known.sortOrder !== values.sortOrder) counts.updated++
      await tx
        .createQueryBuilder()
        .insert()
        .updateEntity(false)
        .into(TagGroup)
        .values({ wecomGroupId: group.group_id, ...values, strategyId: null, createdAt: fromSeconds(group.create_time, now) })
        .orUpdate(['name', 'sort_order', 'updated_at'], ['wecom_group_id'])
        .execute()
    }
    const groupIds = new Map((await tx.find(TagGroup, { select: { id: true, wecomGroupId: true } })).map((g) => [g.wecomGroupId, g.id]))

    const liveTags = liveGroups.flatMap((group) => (group.tag ?? []).filter((t) => !t.deleted).map((tag) => ({ group, tag })))
    for (const { group, tag } of liveTags) {
      const known = existingTags.get(tag.id)
      const values = { groupId: groupIds.get(group.group_id)!, name: tag.name.slice(0, 64), sortOrder: tag.order ?? 0, updatedAt: now }
      if (!known) counts.created++
      else if (known.name !== values.name || known.sortOrder !== values.sortOrder || known.groupId !== values.groupId) counts.updated++
      await tx
        .createQueryBuilder()
        .insert()
        .updateEntity(false)
        .into(Tag)
        .values({ wecomTagId: tag.id, ...values, createdAt: fromSeconds(tag.create_time, now) })
        .orUpdate(['group_id', 'name', 'sort_order', 'updated_at'], ['wecom_tag_id'])
        .execute()
    }

    const liveTagIds = new Set(liveTags.map(({ tag }) => tag.id))
    const goneTags = [...existingTags.keys()].filter((id) => !liveTagIds.has(id))
    const liveGroupIds = new Set(liveGroups.map((g) => g.group_id))
    const goneGroups = [...existingGroups.keys()].filter((id) => !liveGroupIds.has(id))
    if (goneTags.length > 0) await tx.delete(Tag, { wecomTagId: In(goneTags) })
    if (goneGroups.length > 0) await tx.delete(TagGroup, { wecomGroupId: In(goneGroups) })
    counts.removed = goneTags.length + goneGroups.length
    return counts
  })
}

/** WeCom tag id → our tag id, for the tags we have mirrored. */
export async function tagIdsByWecomId(manager: EntityManager, wecomIds: string[]): Promise<Map<string, number>> {
  if (wecomIds.length === 0) return new Map()
  const rows = await manager.find(Tag, { select: { id: true, wecomTagId: true }, where: { wecomTagId: In([...new Set(wecomIds)]) } })
  return new Map(rows.map((row) => [row.wecomTagId, row.id]))
}
