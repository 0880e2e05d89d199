import type { EntityManager } from 'typeorm'
import { query, rawDay, rawInstant } from '../db/sql'
import { businessDate } from '../time'
import type { TodoItem } from '../api/contract'

/**
 * SPEC §4.4, as SQL over follow_relations `f` with :today (the business date) and :dayAgo
 * (24 h before now): overdue, when the next date has passed or a customer added over a day
 * ago was never followed up; due, when the next date is today. The to-do page and the
 * digest's counts both use these, so a card's numbers match the page it links to.
 */
export const OVERDUE_SQL = `f.status = 'active' AND (f.next_follow_up_on < :today
  OR (f.next_follow_up_on IS NULL AND f.last_followed_up_at IS NULL AND f.added_at < :dayAgo))`
export const DUE_TODAY_SQL = "f.status = 'active' AND f.next_follow_up_on = :today"

const DAY_MS = 86_400_000
/** Calendar days from one business date to a later one. */
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS)

/**
 * A member's follow-ups due, as SPEC §4.4 defines them, in the business time zone, the most
 * overdue first. One set-based query: the (member, status, next date) index serves it.
 */
export async function memberTodo(manager: EntityManager, memberId: number, timeZone: string, now = new Date()): Promise<TodoItem[]> {
  const today = businessDate(now, timeZone)
  const rows = await query<{ external_userid: string; name: string; remark: string; next_follow_up_on: Date | string | null; added_at: Date | string; due: string }>(
    manager,
    `SELECT c.external_userid, c.name, f.remark, f.next_follow_up_on, f.added_at,
            CASE WHEN f.next_follow_up_on = :today THEN 'today' ELSE 'overdue' END AS due
       FROM follow_relations f JOIN customers c ON c.id = f.customer_id
      WHERE f.member_id = :memberId AND ((${OVERDUE_SQL}) OR (${DUE_TODAY_SQL}))
      ORDER BY CASE WHEN f.next_follow_up_on IS NULL THEN f.added_at ELSE NULL END, f.next_follow_up_on, f.id
      LIMIT 500`,
    { memberId, today, dayAgo: new Date(now.getTime() - DAY_MS) },
  )
  const entries = rows.map((row): TodoItem => {
    const nextFollowUpOn = rawDay(row.next_follow_up_on)
    const addedAt = rawInstant(row.added_at)
    const dueOn = nextFollowUpOn ?? businessDate(new Date(addedAt.getTime() + DAY_MS), timeZone)
    return {
      externalUserid: row.external_userid,
      name: row.name,
      remark: row.remark,
      nextFollowUpOn,
      addedAt: addedAt.toISOString(),
      kind: row.due === 'today' ? 'today' : 'overdue',
      overdueDays: Math.max(0, daysBetween(dueOn, today)),
    }
  })
  // Stable: equally overdue items keep the query's order (never followed up first, then by date).
  return entries.sort((a, b) => b.overdueDays - a.overdueDays || Number(a.kind === 'today') - Number(b.kind === 'today'))
}
