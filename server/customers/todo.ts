import type { EntityManager } from 'typeorm'
import { query, rawDay, rawInstant } from '../db/sql'
import { businessDate } from '../time'
import type { TodoItem } from '../api/contract'
import { FOLLOW_UP_DUE_TODAY_SQL, FOLLOW_UP_OVERDUE_SQL, followUpDueOn, followUpRuleParameters } from '../rules/followUps'
import { graceMs, readReminderRules } from '../rules/reminderRules'

const DAY_MS = 86_400_000
/** Calendar days from one business date to a later one. */
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS)

/** A follow on a member's to-do page: the API's TodoItem before presenting (server/presenters/todo.ts). */
export type TodoEntry = Omit<TodoItem, 'addedAt'> & { addedAt: Date }

/**
 * A member's follow-ups due, as SPEC §4.4 defines them, in the business time zone, the most
 * overdue first. One set-based query: the (member, status, next date) index serves it.
 */
export async function memberTodo(manager: EntityManager, memberId: number, timeZone: string, now = new Date()): Promise<TodoEntry[]> {
  const today = businessDate(now, timeZone)
  const grace = graceMs(await readReminderRules(manager))
  const rows = await query<{ external_userid: string; name: string; remark: string; next_follow_up_on: Date | string | null; added_at: Date | string; due: string }>(
    manager,
    `SELECT c.external_userid, c.name, f.remark, f.next_follow_up_on, f.added_at,
            CASE WHEN ${FOLLOW_UP_DUE_TODAY_SQL} THEN 'today' ELSE 'overdue' END AS due
       FROM follow_relations f JOIN customers c ON c.id = f.customer_id
      WHERE f.member_id = :memberId AND ((${FOLLOW_UP_OVERDUE_SQL}) OR (${FOLLOW_UP_DUE_TODAY_SQL}))
      ORDER BY CASE WHEN f.next_follow_up_on IS NULL THEN f.added_at ELSE NULL END, f.next_follow_up_on, f.id
      LIMIT 500`,
    { memberId, ...followUpRuleParameters(today, now, grace) },
  )
  const entries = rows.map((row): TodoEntry => {
    const nextFollowUpOn = rawDay(row.next_follow_up_on)
    const addedAt = rawInstant(row.added_at)
    const dueOn = followUpDueOn(nextFollowUpOn, addedAt, timeZone, grace)
    return {
      externalUserid: row.external_userid,
      name: row.name,
      remark: row.remark,
      nextFollowUpOn,
      addedAt,
      kind: row.due === 'today' ? 'today' : 'overdue',
      overdueDays: Math.max(0, daysBetween(dueOn, today)),
    }
  })
  // Stable: equally overdue items keep the query's order (never followed up first, then by date).
  return entries.sort((a, b) => b.overdueDays - a.overdueDays || Number(a.kind === 'today') - Number(b.kind === 'today'))
}
