import type { ConsoleTagGroup, ConsoleTagList, TagDeletion } from '../api/contract'
import type { TagGroupListing } from '../console/tags'

/** A group on 标签: our ids and the names, never WeCom's ids. */
export function presentTagGroup(group: TagGroupListing): ConsoleTagGroup {
  return { id: group.id, name: group.name, managed: group.managed, tags: group.tags.map((tag) => ({ id: tag.id, name: tag.name })) }
}

/** GET /api/console/tags. */
export function presentTagList(groups: TagGroupListing[]): ConsoleTagList {
  return { groups: groups.map(presentTagGroup) }
}

/** DELETE /api/console/tags/:id. */
export function presentTagDeletion({ groupDeleted }: { groupDeleted: boolean }): TagDeletion {
  return { groupDeleted }
}
