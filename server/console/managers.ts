import type { EntityManager } from 'typeorm'
import { query } from '../db/sql'
import { ManagerOverride, MEMBER_STATUS } from '../entities'
import { recomputeManagerLinks } from '../mirror/members'

/** A member's managers as the console shows them: whoever they report to now, and whether the console decided it. */
export interface MemberManagers {
  userid: string
  name: string
  managers: { userid: string; name: string }[]
  /** True: the console's overrides; false: WeCom's direct_leader or department leaders (SPEC §4.4). */
  overridden: boolean
}

/** Why an override was refused: a member not in the company (or gone), or a member named as their own manager. */
export class OverrideRefused extends Error {}

/** Every member still here (or only `userid`) with their managers, by userid. Two queries, whatever the size of the company. */
export async function memberManagers(manager: EntityManager, { userid }: { userid?: string } = {}): Promise<MemberManagers[]> {
  const left = MEMBER_STATUS.left
  const only = userid === undefined ? '' : 'AND m.userid = :userid'
  const [members, links] = await Promise.all([
    query<{ id: number; userid: string; name: string; overridden: number | string }>(
      manager,
      `SELECT m.id, m.userid, m.name, CASE WHEN EXISTS (SELECT 1 FROM manager_overrides o WHERE o.member_id = m.id) THEN 1 ELSE 0 END AS overridden
         FROM members m WHERE m.status <> :left ${only} ORDER BY m.userid`,
      { left, userid },
    ),
    query<{ member_id: number; userid: string; name: string }>(
      manager,
      `SELECT l.member_id, b.userid, b.name FROM manager_links l JOIN members b ON b.id = l.manager_id JOIN members m ON m.id = l.member_id
        WHERE b.status <> :left ${only} ORDER BY b.userid`,
      { left, userid },
    ),
  ])
  const managersOf = new Map<number, { userid: string; name: string }[]>()
  for (const link of links) managersOf.set(Number(link.member_id), [...(managersOf.get(Number(link.member_id)) ?? []), { userid: link.userid, name: link.name }])
  return members.map((m) => ({ userid: m.userid, name: m.name, managers: managersOf.get(Number(m.id)) ?? [], overridden: Number(m.overridden) === 1 }))
}

/**
 * Sets whom `memberUserid` reports to, replacing what WeCom says; no managers at all gives
 * the member back to WeCom's. The links every reader uses (digest, loss alert, access, 团队)
 * are recomputed in the same transaction. Call inside one.
 */
export async function setManagerOverrides(tx: EntityManager, memberUserid: string, managerUserids: readonly string[], now = new Date()): Promise<void> {
  const wanted = [...new Set([memberUserid, ...managerUserids])]
  const found = await query<{ id: number; userid: string }>(tx, 'SELECT id, userid FROM members WHERE userid IN (:...wanted) AND status <> :left', { wanted, left: MEMBER_STATUS.left })
  const idOf = new Map(found.map((m) => [m.userid, Number(m.id)]))
  const missing = wanted.filter((userid) => !idOf.has(userid))
  if (missing.length > 0) throw new OverrideRefused(`No member ${missing.join(', ')} in the company`)
  if (managerUserids.includes(memberUserid)) throw new OverrideRefused('A member cannot be their own manager')
  const memberId = idOf.get(memberUserid)!
  await tx.delete(ManagerOverride, { memberId })
  if (managerUserids.length > 0) await tx.insert(ManagerOverride, [...new Set(managerUserids)].map((userid) => ({ memberId, managerId: idOf.get(userid)!, createdAt: now })))
  await recomputeManagerLinks(tx)
}
