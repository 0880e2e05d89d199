import type { EntityManager } from 'typeorm'
import { query } from '../db/sql'
import { MEMBER_STATUS } from '../entities'
import { FOLLOW_UP_DUE_TODAY_SQL, FOLLOW_UP_OVERDUE_SQL, followUpRuleParameters, NEW_UNFOLLOWED_SQL } from '../rules/followUps'
import { graceMs, readReminderRules } from '../rules/reminderRules'
import { addDays, startOfBusinessDay } from '../time'

/** One member's follow-up figures for a business date (SPEC §4.4). */
export interface MemberFollowUps {
  memberId: number
  userid: string
  name: string
  overdue: number
  dueToday: number
  /** Added in the last 24 hours and not followed up yet: tomorrow's overdue, unless someone acts. */
  newUnfollowed: number
  /** Customers who deleted the member during the previous business day. */
  lostYesterday: number
  /** Live follows: a member with none is no salesperson (any more). */
  live: number
  /** The customers overdue the longest (remark, else WeCom name), most overdue first. */
  mostOverdue: string[]
}

export const MOST_OVERDUE_NAMES = 3

/**
 * The instants a business date's figures are computed at and around. `asOf` is now, kept
 * within the date: a digest made late for an earlier date describes the end of that day.
 */
export function businessDayWindow(date: string, timeZone: string, now: Date) {
  const start = startOfBusinessDay(date, timeZone)
  const end = startOfBusinessDay(addDays(date, 1), timeZone)
  const asOf = new Date(Math.min(Math.max(now.getTime(), start.getTime()), end.getTime()))
  return { start, end, asOf, yesterdayStart: startOfBusinessDay(addDays(date, -1), timeZone) }
}

/**
 * Every member's figures (or those of `memberIds`) in two set-based queries, whatever the number of customers: one
 * pass over follow_relations for the counts, one ranking for the most overdue names. Dates
 * are compared as business dates and instants computed here, so MySQL and SQLite agree and
 * neither database's time zone matters.
 */
export async function followUpStats(
  manager: EntityManager,
  {
    date,
    timeZone,
    now = new Date(),
    memberIds,
    withNames = true,
  }: {
    date: string
    timeZone: string
    now?: Date
    memberIds?: readonly number[]
    /** The most overdue customers' names (the digest's); the console's figures do without the ranking, the larger half of the work. */
    withNames?: boolean
  },
): Promise<Map<number, MemberFollowUps>> {
  if (memberIds?.length === 0) return new Map()
  const window = businessDayWindow(date, timeZone, now)
  const grace = graceMs(await readReminderRules(manager))
  const parameters = { ...followUpRuleParameters(date, window.asOf, grace), yesterdayStart: window.yesterdayStart, todayStart: window.start, left: MEMBER_STATUS.left, memberIds }
  // One team's figures (the console's) read only its members' follows, through the member_id indexes.
  const ofMembers = memberIds ? 'f.member_id IN (:...memberIds)' : null
  const [counts, names] = await Promise.all([
    query<{ member_id: number; userid: string; name: string; live: number | string; overdue: number | string; due_today: number | string; new_unfollowed: number | string; lost_yesterday: number | string }>(
      manager,
      `SELECT m.id AS member_id, m.userid, m.name, t.live, t.overdue, t.due_today, t.new_unfollowed, t.lost_yesterday
         FROM (SELECT f.member_id,
                      SUM(CASE WHEN f.status = 'active' THEN 1 ELSE 0 END) AS live,
                      SUM(CASE WHEN ${FOLLOW_UP_OVERDUE_SQL} THEN 1 ELSE 0 END) AS overdue,
                      SUM(CASE WHEN ${FOLLOW_UP_DUE_TODAY_SQL} THEN 1 ELSE 0 END) AS due_today,
                      SUM(CASE WHEN ${NEW_UNFOLLOWED_SQL} THEN 1 ELSE 0 END) AS new_unfollowed,
                      SUM(CASE WHEN f.status = 'deleted_by_customer' AND f.status_changed_at >= :yesterdayStart
                                AND f.status_changed_at < :todayStart THEN 1 ELSE 0 END) AS lost_yesterday
                 FROM follow_relations f ${ofMembers ? `WHERE ${ofMembers}` : ''} GROUP BY f.member_id) t
         JOIN members m ON m.id = t.member_id
        WHERE m.status <> :left`,
      parameters,
    ),
    // Ranked on follow ids alone; only the winners are joined to their customers.
    !withNames ? [] : query<{ member_id: number; name: string }>(
      manager,
      `SELECT r.member_id, CASE WHEN f.remark <> '' THEN f.remark ELSE c.name END AS name
         FROM (SELECT f.id, f.member_id,
                      ROW_NUMBER() OVER (PARTITION BY f.member_id ORDER BY COALESCE(f.next_follow_up_on, f.added_at), f.id) AS position
                 FROM follow_relations f WHERE ${FOLLOW_UP_OVERDUE_SQL} ${ofMembers ? `AND ${ofMembers}` : ''}) r
         JOIN follow_relations f ON f.id = r.id
         JOIN customers c ON c.id = f.customer_id
        WHERE r.position <= ${MOST_OVERDUE_NAMES}
        ORDER BY r.member_id, r.position`,
      parameters,
    ),
  ])
  const stats = new Map<number, MemberFollowUps>()
  for (const row of counts) {
    stats.set(Number(row.member_id), {
      memberId: Number(row.member_id),
      userid: row.userid,
      name: row.name,
      overdue: Number(row.overdue),
      dueToday: Number(row.due_today),
      newUnfollowed: Number(row.new_unfollowed),
      lostYesterday: Number(row.lost_yesterday),
      live: Number(row.live),
      mostOverdue: [],
    })
  }
  for (const row of names) stats.get(Number(row.member_id))?.mostOverdue.push(row.name)
  return stats
}
