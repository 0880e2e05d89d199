import { In, type EntityManager } from 'typeorm'
import { Department, ManagerLink, ManagerOverride, Member, MemberDepartment, MEMBER_STATUS } from '../entities'
import type { WecomDepartment, WecomUser } from '../wecom/apiTypes'
import { fitRecord, readRecord, wecomShapes, type MirrorLog } from './mirrorInput'

/**
 * Upserts members as `user/get` returns them, with their departments; then re-derives
 * managers. A record that cannot be stored is left out (logged).
 */
export async function upsertMembers(manager: EntityManager, raw: WecomUser[], log: MirrorLog, now = new Date()): Promise<void> {
  const users = raw.flatMap((record) => {
    const user = readRecord(log, 'member', wecomShapes.user, record, 'userid')
    const columns = user && fitRecord(log, { entity: 'member', id: user.userid }, Member, { userid: user.userid, name: user.name, avatar: user.avatar || null }, { key: 'userid' })
    return user && columns ? [{ ...user, ...columns }] : []
  })
  if (users.length === 0) return
  await manager
    .createQueryBuilder()
    .insert()
    .updateEntity(false)
    .into(Member)
    .values(
      users.map((user) => ({
        userid: user.userid,
        name: user.name,
        avatar: user.avatar,
        mainDepartmentId: user.main_department ?? user.department?.[0] ?? null,
        status: user.status ?? MEMBER_STATUS.active,
        directLeaders: user.direct_leader ?? [],
        createdAt: now,
        updatedAt: now,
      })),
    )
    .orUpdate(['name', 'avatar', 'main_department_id', 'status', 'direct_leaders', 'updated_at'], ['userid'])
    .execute()

  const ids = await memberIds(manager, users.map((user) => user.userid))
  const memberIdList = [...ids.values()]
  await manager.delete(MemberDepartment, { memberId: In(memberIdList) })
  const links = users.flatMap((user) =>
    (user.department ?? []).map((departmentId, i) => ({
      memberId: ids.get(user.userid)!,
      departmentId,
      isLeader: user.is_leader_in_dept?.[i] === 1,
    })),
  )
  // A member may name a department we have not mirrored yet; make a placeholder for it.
  await ensureDepartments(manager, [...new Set(links.map((link) => link.departmentId))], now)
  if (links.length > 0) await manager.createQueryBuilder().insert().into(MemberDepartment).updateEntity(false).values(links).orIgnore().execute()
  await recomputeManagerLinks(manager)
}

/** Which members are listed by get_follow_user_list (have 客户联系): exactly these, no others. */
export async function setFollowUsers(manager: EntityManager, userids: string[]): Promise<void> {
  await manager.createQueryBuilder().update(Member).set({ isFollowUser: false }).where('is_follow_user = :yes', { yes: true }).execute()
  for (let i = 0; i < userids.length; i += 500) {
    await manager.update(Member, { userid: In(userids.slice(i, i + 500)) }, { isFollowUser: true })
  }
}

/**
 * userid → member id, creating a placeholder (named by userid) for any we do not know yet;
 * a userid too long to store is left out (logged).
 */
export async function ensureMembers(manager: EntityManager, userids: string[], log: MirrorLog, now = new Date()): Promise<Map<string, number>> {
  const unique = [...new Set(userids)].filter((userid) => fitRecord(log, { entity: 'member', id: userid }, Member, { userid }, { key: 'userid' }))
  if (unique.length === 0) return new Map()
  await manager
    .createQueryBuilder()
    .insert()
    .updateEntity(false)
    .into(Member)
    .values(unique.map((userid) => ({ userid, name: userid, status: MEMBER_STATUS.active, createdAt: now, updatedAt: now })))
    .orIgnore()
    .execute()
  return memberIds(manager, unique)
}

export async function memberIds(manager: EntityManager, userids: string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>()
  for (let i = 0; i < userids.length; i += 1000) {
    const rows = await manager.find(Member, { select: { id: true, userid: true }, where: { userid: In(userids.slice(i, i + 1000)) } })
    for (const row of rows) ids.set(row.userid, row.id)
  }
  return ids
}

/** A member WeCom no longer knows (delete_user, or user/get answering 60111). */
export async function markMemberLeft(manager: EntityManager, userid: string, now = new Date()): Promise<void> {
  await manager.update(Member, { userid }, { status: MEMBER_STATUS.left, isFollowUser: false, updatedAt: now })
  await recomputeManagerLinks(manager)
}

/** WeCom changed a userid (update_user with NewUserID): our row follows it, when the new one fits. */
export async function renameMember(manager: EntityManager, from: string, to: string, log: MirrorLog, now = new Date()): Promise<void> {
  if (from === to || !fitRecord(log, { entity: 'member', id: to }, Member, { userid: to }, { key: 'userid' })) return
  if (await manager.existsBy(Member, { userid: to })) return
  await manager.update(Member, { userid: from }, { userid: to, updatedAt: now })
}

export async function upsertDepartments(manager: EntityManager, raw: WecomDepartment[], log: MirrorLog, now = new Date()): Promise<void> {
  const departments = raw.flatMap((record) => {
    const department = readRecord(log, 'department', wecomShapes.department, record, 'id')
    return department ? [{ ...department, ...fitRecord(log, { entity: 'department', id: String(department.id) }, Department, { name: department.name }) }] : []
  })
  if (departments.length === 0) return
  await manager
    .createQueryBuilder()
    .insert()
    .updateEntity(false)
    .into(Department)
    .values(departments.map((d) => ({ id: d.id, name: d.name, parentId: d.parentid ?? null, sortOrder: d.order ?? 0, updatedAt: now })))
    .orUpdate(['name', 'parent_id', 'sort_order', 'updated_at'], ['id'])
    .execute()
}

async function ensureDepartments(manager: EntityManager, ids: number[], now: Date): Promise<void> {
  if (ids.length === 0) return
  await manager
    .createQueryBuilder()
    .insert()
    .updateEntity(false)
    .into(Department)
    .values(ids.map((id) => ({ id, name: String(id), parentId: null, sortOrder: 0, updatedAt: now })))
    .orIgnore()
    .execute()
}

export async function deleteDepartment(manager: EntityManager, id: number): Promise<void> {
  await manager.delete(Department, { id })
  await recomputeManagerLinks(manager)
}

/**
 * Managers, as SPEC §4.4 says: the console's overrides when a member has any, else WeCom's
 * direct_leader when set, else the leaders of the member's main department (other than the
 * member); whoever changes overrides calls this. Recomputed whole: a company has
 * thousands of members, not millions, and one leader change moves many links.
 */
export async function recomputeManagerLinks(manager: EntityManager): Promise<void> {
  const members = await manager.find(Member, { select: { id: true, userid: true, mainDepartmentId: true, directLeaders: true } })
  const leaders = await manager.find(MemberDepartment, { where: { isLeader: true } })
  const overrides = await manager.find(ManagerOverride)
  const overridesOf = new Map<number, number[]>()
  for (const o of overrides) overridesOf.set(o.memberId, [...(overridesOf.get(o.memberId) ?? []), o.managerId])
  const idByUserid = new Map(members.map((m) => [m.userid, m.id]))
  const leadersByDepartment = new Map<number, number[]>()
  for (const leader of leaders) leadersByDepartment.set(leader.departmentId, [...(leadersByDepartment.get(leader.departmentId) ?? []), leader.memberId])

  const links: ManagerLink[] = []
  for (const member of members) {
    const overridden = (overridesOf.get(member.id) ?? []).filter((id) => id !== member.id)
    if (overridden.length > 0) {
      for (const managerId of new Set(overridden)) links.push(Object.assign(new ManagerLink(), { memberId: member.id, managerId, source: 'override' }))
      continue
    }
    const direct = (member.directLeaders ?? []).map((userid) => idByUserid.get(userid)).filter((id): id is number => id !== undefined && id !== member.id)
    const source = direct.length > 0 ? 'direct_leader' : 'department_leader'
    const managerIds = direct.length > 0 ? direct : (leadersByDepartment.get(member.mainDepartmentId ?? -1) ?? []).filter((id) => id !== member.id)
    for (const managerId of new Set(managerIds)) links.push(Object.assign(new ManagerLink(), { memberId: member.id, managerId, source }))
  }
  await manager.transaction(async (tx) => {
    await tx.createQueryBuilder().delete().from(ManagerLink).execute()
    for (let i = 0; i < links.length; i += 500) await tx.insert(ManagerLink, links.slice(i, i + 500))
  })
}
