import type { ApiRequest, EndpointTable } from './apiRequest'
import { maxLength, optionalInteger, optionalString, stringList } from './apiRequest'
import { requireFollow } from './customerApi'
import { refuse } from './errors'
import { randomId, type SimCompany, type SimTag, type SimTagGroup } from './state'

/** Tag and group names are at most 30 characters (wecom-protocol.md §3.6). */
const TAG_NAME_MAX = 30

/**
 * Corp tags and mark_tag (wecom-protocol.md §3.6). Changes made here emit no callback:
 * WeCom only reports changes made in the client or the admin console.
 */
export function tagEndpoints(company: SimCompany, nowSeconds: () => number): EndpointTable {
  return {
    '/cgi-bin/externalcontact/get_corp_tag_list': {
      method: 'POST',
      token: true,
      handle: ({ body }: ApiRequest) => ({ tag_group: listTags(company, stringList(body.tag_id, 'tag_id'), stringList(body.group_id, 'group_id')) }),
    },
    '/cgi-bin/externalcontact/add_corp_tag': {
      method: 'POST',
      token: true,
      handle: ({ body }: ApiRequest) => ({ tag_group: addTags(company, body, nowSeconds()) }),
    },
    '/cgi-bin/externalcontact/edit_corp_tag': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        editTagOrGroup(company, body)
        return {}
      },
    },
    '/cgi-bin/externalcontact/del_corp_tag': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        deleteTagsAndGroups(company, stringList(body.tag_id, 'tag_id'), stringList(body.group_id, 'group_id'))
        return {}
      },
    },
    '/cgi-bin/externalcontact/mark_tag': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        markTags(company, body)
        return {}
      },
    },
  }
}

/** All groups; or the groups asked for (group_id wins); or the tags asked for, in their groups. */
function listTags(company: SimCompany, tagIds: string[], groupIds: string[]): Record<string, unknown>[] {
  if (groupIds.length > 0) {
    return byOrder(groupIds.flatMap((id) => lookupGroup(company, id) ?? []))
      .map(({ group, deleted }) => presentGroup(group, tagsOf(company, group.group_id, deleted), deleted))
  }
  if (tagIds.length > 0) {
    const found = tagIds.flatMap((id) => lookupTag(company, id) ?? [])
    const groupIdsOfTags = [...new Set(found.map(({ tag }) => tag.group_id))]
    return byOrder(groupIdsOfTags.flatMap((id) => lookupGroup(company, id) ?? []))
      .map(({ group, deleted }) => presentGroup(group, found.filter(({ tag }) => tag.group_id === group.group_id), deleted))
  }
  return byOrder([...company.tagGroups.values()]).map((group) => presentGroup(group, tagsOf(company, group.group_id, false)))
}

/** A group or tag found by id, live or deleted; `order` is lifted out for sorting. */
interface FoundGroup {
  group: SimTagGroup
  deleted: boolean
  order: number
}
interface FoundTag {
  tag: SimTag
  deleted: boolean
  order: number
}

function lookupGroup(company: SimCompany, id: string): FoundGroup | undefined {
  const live = company.tagGroups.get(id)
  if (live) return { group: live, deleted: false, order: live.order }
  const gone = company.deletedTagGroups.get(id)
  return gone && { group: gone, deleted: true, order: gone.order }
}

function lookupTag(company: SimCompany, id: string): FoundTag | undefined {
  const live = company.tags.get(id)
  if (live) return { tag: live, deleted: false, order: live.order }
  const gone = company.deletedTags.get(id)
  return gone && { tag: gone, deleted: true, order: gone.order }
}

/** The tags of a group: live ones, or for a deleted group the ones deleted with it. */
function tagsOf(company: SimCompany, groupId: string, groupDeleted: boolean): FoundTag[] {
  const source = groupDeleted ? company.deletedTags : company.tags
  return [...source.values()].filter((tag) => tag.group_id === groupId).map((tag) => ({ tag, deleted: groupDeleted, order: tag.order }))
}

/** A higher order sorts first; equal orders keep their creation order. */
function byOrder<T extends { order: number }>(items: T[]): T[] {
  return items.map((item, index) => ({ item, index })).sort((a, b) => b.item.order - a.item.order || a.index - b.index).map(({ item }) => item)
}

/** `deleted` is shown only when the caller filtered by id (then it is always present). */
function presentGroup(group: SimTagGroup, tags: FoundTag[], deleted?: boolean): Record<string, unknown> {
  const showDeleted = deleted !== undefined
  return {
    group_id: group.group_id,
    group_name: group.group_name,
    create_time: group.create_time,
    order: group.order,
    ...(showDeleted ? { deleted } : {}),
    tag: byOrder(tags).map(({ tag, deleted: tagDeleted }) => ({
      id: tag.id,
      name: tag.name,
      create_time: tag.create_time,
      order: tag.order,
      ...(showDeleted ? { deleted: tagDeleted } : {}),
    })),
  }
}

interface NewTag {
  name: string
  order: number
}

function readNewTags(value: unknown): NewTag[] {
  if (!Array.isArray(value) || value.length === 0) refuse(40058, 'tag is empty. invalid Request Parameter')
  const tags = value.map((item: unknown, index): NewTag => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
    const name = optionalString(entry.name, `tag[${index}].name`)?.trim()
    if (!name) refuse(40071, `tag[${index}].name is empty`)
    maxLength(name, TAG_NAME_MAX, `tag[${index}].name`)
    return { name, order: optionalInteger(entry.order, `tag[${index}].order`) ?? 0 }
  })
  // Duplicate names in one request collapse to one tag.
  return tags.filter((tag, index) => tags.findIndex((other) => other.name === tag.name) === index)
}

/**
 * add_corp_tag: into group_id (its name and order are then ignored), or into the group named
 * group_name (created when new). A name that already exists in the group returns the existing tag.
 */
function addTags(company: SimCompany, body: Record<string, unknown>, now: number): Record<string, unknown> {
  const newTags = readNewTags(body.tag)
  const group = targetGroup(company, body, now)
  const existing = company.tagsOfGroup(group.group_id)
  const tags = newTags.map(({ name, order }) => {
    const same = existing.find((tag) => tag.name === name)
    if (same) return same
    const tag: SimTag = { id: randomId('et'), group_id: group.group_id, name, create_time: now, order }
    company.tags.set(tag.id, tag)
    return tag
  })
  return {
    group_id: group.group_id,
    group_name: group.group_name,
    create_time: group.create_time,
    order: group.order,
    tag: tags.map(({ id, name, create_time, order }) => ({ id, name, create_time, order })),
  }
}

function targetGroup(company: SimCompany, body: Record<string, unknown>, now: number): SimTagGroup {
  const groupId = optionalString(body.group_id, 'group_id')
  if (groupId) return company.tagGroups.get(groupId) ?? refuse(40068, `invalid tagid: ${groupId}`)
  const groupName = optionalString(body.group_name, 'group_name')?.trim()
  if (!groupName) refuse(40058, 'group_id and group_name are both empty. invalid Request Parameter')
  maxLength(groupName, TAG_NAME_MAX, 'group_name')
  const known = company.groupByName(groupName)
  if (known) return known
  const group: SimTagGroup = { group_id: randomId('et'), group_name: groupName, create_time: now, order: optionalInteger(body.order, 'order') ?? 0 }
  company.tagGroups.set(group.group_id, group)
  return group
}

/** edit_corp_tag renames or re-orders a tag or a group; names must stay unique among siblings. */
function editTagOrGroup(company: SimCompany, body: Record<string, unknown>): void {
  const id = optionalString(body.id, 'id') ?? refuse(40058, 'id is empty. invalid Request Parameter')
  const name = optionalString(body.name, 'name')?.trim()
  const order = optionalInteger(body.order, 'order')
  maxLength(name, TAG_NAME_MAX, 'name')
  if (name === '') refuse(40071, 'name is empty')

  const tag = company.tags.get(id)
  if (tag) {
    if (name !== undefined && company.tagsOfGroup(tag.group_id).some((other) => other.id !== id && other.name === name)) {
      refuse(40071, `tag name ${name} exists`)
    }
    if (name !== undefined) tag.name = name
    if (order !== undefined) tag.order = order
    return
  }
  const group = company.tagGroups.get(id) ?? refuse(40068, `invalid tagid: ${id}`)
  if (name !== undefined && [...company.tagGroups.values()].some((other) => other.group_id !== id && other.group_name === name)) {
    refuse(40071, `group name ${name} exists`)
  }
  if (name !== undefined) group.group_name = name
  if (order !== undefined) group.order = order
}

/** del_corp_tag: every id must be live; a group left without tags goes too. */
function deleteTagsAndGroups(company: SimCompany, tagIds: string[], groupIds: string[]): void {
  if (tagIds.length === 0 && groupIds.length === 0) refuse(40058, 'tag_id and group_id are both empty. invalid Request Parameter')
  for (const id of tagIds) if (!company.tags.has(id)) refuse(40068, `invalid tagid: ${id}`)
  for (const id of groupIds) if (!company.tagGroups.has(id)) refuse(40068, `invalid tagid: ${id}`)
  company.deleteTags(tagIds)
  for (const id of groupIds) company.deleteGroup(id)
}

/** mark_tag: checks in WeCom's order (empty, tag ids, customer, relation), then applies. */
function markTags(company: SimCompany, body: Record<string, unknown>): void {
  const add = stringList(body.add_tag, 'add_tag')
  const remove = stringList(body.remove_tag, 'remove_tag')
  if (add.length === 0 && remove.length === 0) refuse(40058, 'add_tag and remove_tag are both empty. invalid Request Parameter')
  for (const id of [...add, ...remove]) if (!company.tags.has(id)) refuse(40068, `invalid tagid: ${id}`)
  const follow = requireFollow(company, body)
  const removed = new Set(remove)
  const kept = follow.tagIds.filter((id) => !removed.has(id))
  for (const id of add) if (!kept.includes(id)) kept.push(id)
  follow.tagIds = kept
}
