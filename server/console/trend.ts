import type { EntityManager } from 'typeorm'
import type { TeamTrend, TeamTrendDay } from '../api/contract'
import { followUpStats } from '../bot/followUpStats'
import { query, rawDay } from '../db/sql'
import { MemberDailyFigure, type FollowStatus } from '../entities'
import { countsByDay, datesFrom, dayBounds, dayOf, withinDays } from '../db/businessDays'
import { addDays, businessDate } from '../time'
import type { Team } from './team'

/** Days on 团队's chart, today included. */
export const TREND_DAYS = 30
/** Rows a figures insert carries (well within SQLite's bound-variable limit at 4 columns). */
const RECORD_BATCH = 500

/**
 * A team's last TREND_DAYS business days (SPEC §4.6): follow-ups written, customers added
 * and lost, each counted by day from their own rows; overdue at each day's end from what
 * team-figures recorded.
 */
export async function teamTrend(manager: EntityManager, team: Team, { timeZone, now = new Date() }: { timeZone: string; now?: Date }): Promise<TeamTrend> {
  const today = businessDate(now, timeZone)
  const dates = datesFrom(addDays(today, 1 - TREND_DAYS), TREND_DAYS)
  const bounds = dayBounds(dates, timeZone)
  const ids = team.memberIds
  const teamManager = team.manager && { userid: team.manager.userid, name: team.manager.name }
  if (ids?.length === 0) return { manager: teamManager, days: dates.map((date) => ({ date, followUps: 0, added: 0, lost: 0, overdue: null })) }
  const inSpan = (column: string) => withinDays(column, TREND_DAYS)
  const byDay = (sql: string) => query<{ day: number | string; n: number | string }>(manager, sql, { ...bounds, ids, lost: 'deleted_by_customer' satisfies FollowStatus })
  const [written, added, lost, recorded] = await Promise.all([
    byDay(`SELECT t.day, COUNT(*) AS n FROM (SELECT ${dayOf('created_at', TREND_DAYS)} AS day FROM follow_ups
            WHERE ${ids ? 'author_member_id IN (:...ids) AND ' : ''}${inSpan('created_at')}) t GROUP BY t.day`),
    byDay(`SELECT t.day, COUNT(*) AS n FROM (SELECT ${dayOf('added_at', TREND_DAYS)} AS day FROM follow_relations
            WHERE ${ids ? 'member_id IN (:...ids) AND ' : ''}${inSpan('added_at')}) t GROUP BY t.day`),
    byDay(`SELECT t.day, COUNT(*) AS n FROM (SELECT ${dayOf('status_changed_at', TREND_DAYS)} AS day FROM follow_relations
            WHERE ${ids ? 'member_id IN (:...ids) AND ' : ''}status = :lost AND ${inSpan('status_changed_at')}) t GROUP BY t.day`),
    // Every member's row of each recorded day, so that a day recorded with nobody of this team in it reads 0, not "not recorded".
    query<{ business_date: Date | string; overdue: number | string }>(
      manager,
      `SELECT business_date, SUM(${ids ? 'CASE WHEN member_id IN (:...ids) THEN overdue ELSE 0 END' : 'overdue'}) AS overdue
         FROM member_daily_figures WHERE business_date >= :first AND business_date < :today GROUP BY business_date`,
      { ids, first: dates[0], today },
    ),
  ])
  const [followUps, addedOn, lostOn] = [countsByDay(written, TREND_DAYS), countsByDay(added, TREND_DAYS), countsByDay(lost, TREND_DAYS)]
  const overdueOn = new Map(recorded.map((row) => [rawDay(row.business_date)!, Number(row.overdue)]))
  const days: TeamTrendDay[] = dates.map((date, i) => ({ date, followUps: followUps[i]!, added: addedOn[i]!, lost: lostOn[i]!, overdue: overdueOn.get(date) ?? null }))
  return { manager: teamManager, days }
}

/**
 * Records every member's follows overdue at the end of business day `date` (the digest's
 * figure, judged as of that day's end): the one series of the chart that cannot be read
 * back later. Run again for the same day, it replaces what it wrote. Returns the members recorded.
 */
export async function recordDailyFigures(manager: EntityManager, { date, timeZone, now = new Date() }: { date: string; timeZone: string; now?: Date }): Promise<number> {
  const stats = await followUpStats(manager, { date, timeZone, now, withNames: false })
  const rows = [...stats.values()].map((member) => ({ businessDate: date, memberId: member.memberId, overdue: member.overdue, recordedAt: now }))
  for (let start = 0; start < rows.length; start += RECORD_BATCH) {
    await manager.upsert(MemberDailyFigure, rows.slice(start, start + RECORD_BATCH), ['businessDate', 'memberId'])
  }
  return rows.length
}
