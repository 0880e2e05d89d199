import type { EntityManager } from 'typeorm'
import { query } from '../db/sql'
import type { FollowStatus } from '../entities'

export interface Viewer {
  id: number
  name: string
  isOperator: boolean
}

export interface VisibleFollow {
  followId: number
  customerId: number
  memberId: number
  memberUserid: string
  memberName: string
  status: FollowStatus
  /** Whose follow it is, for the viewer: their own, a report's (managers), or anyone's (operators). */
  through: 'own' | 'report' | 'operator'
}

interface Candidate {
  follow_id: number
  customer_id: number
  member_id: number
  userid: string
  name: string
  status: FollowStatus
  is_report: number
  added_at: Date | string
}

/**
 * The follow through which `viewer` may see a customer (SPEC §4.2): members their own,
 * managers their reports', operators anyone's. A follow the member deleted gives no
 * access; one the customer deleted still reads. Null means 404: whether the customer
 * exists is none of the viewer's business. One query.
 */
export async function visibleFollow(manager: EntityManager, viewer: Viewer, externalUserid: string): Promise<VisibleFollow | null> {
  const candidates = await query<Candidate>(
    manager,
    `SELECT f.id AS follow_id, f.customer_id, f.member_id, m.userid, m.name, f.status, f.added_at,
            CASE WHEN l.manager_id IS NULL THEN 0 ELSE 1 END AS is_report
       FROM customers c
       JOIN follow_relations f ON f.customer_id = c.id
       JOIN members m ON m.id = f.member_id
       LEFT JOIN manager_links l ON l.member_id = f.member_id AND l.manager_id = :viewer
      WHERE c.external_userid = :externalUserid AND f.status <> 'deleted_by_member'
      ORDER BY f.added_at DESC, f.id DESC`,
    { viewer: viewer.id, externalUserid },
  )
  const pick = (candidate: Candidate | undefined, through: VisibleFollow['through']): VisibleFollow | null =>
    candidate
      ? {
          followId: Number(candidate.follow_id),
          customerId: Number(candidate.customer_id),
          memberId: Number(candidate.member_id),
          memberUserid: candidate.userid,
          memberName: candidate.name,
          status: candidate.status,
          through,
        }
      : null
  return (
    pick(candidates.find((c) => Number(c.member_id) === viewer.id), 'own') ??
    pick(candidates.find((c) => Number(c.is_report) === 1), 'report') ??
    (viewer.isOperator ? pick(candidates[0], 'operator') : null)
  )
}
