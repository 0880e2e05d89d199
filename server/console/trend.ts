import type { EntityManager } from 'typeorm'
import type { TeamTrend, TeamTrendDay } from '../api/contract'
import { followUpStats } from '../bot/followUpStats'
import { query, rawDay } from '../db/sql'
import { MemberDailyFigure, type FollowStatus } from '../entities'
import { addDays, businessDate, startOfBusinessDay } from '../time'
import type { Team } from './team'

/** Days on 团队's chart, today included. */
export const TREND_DAYS = 30
/** Rows a figures insert carries (well within SQLite's bound-variable limit at 4 columns). */
const RECORD_BATCH = 500

/**
 * The day of the trend `column` falls in, as a number from 0 (the first) to TREND_DAYS − 1:
 * one CASE over the day boundaries :b1 … (computed in TypeScript from SCRM_TIMEZONE, so every
 * zone's days, DST ones too, and both databases agree). Rows are first narrowed to the
 * trend's span, [:b0, :bN), by the column's own index.
 */
const dayOf = (column: string) => `CASE ${Array.from({ length: TREND_DAYS - 1 }, (_, i) => `WHEN ${column} < :b${i + 1} THEN ${i}`).join(' ')} ELSE ${TREND_DAYS - 1} END`

/** Counts by day index (rows of `day`, `n`) as one number a day. */
function perDay(rows: { day: number | string; n: number | string }[]): number[] {
  const counts = new Array<number>(TREND_DAYS).fill(0)
  for (const row of rows) counts[Number(row.day)] = Number(row.n)
  return counts
}

/**
 * A team's last TREND_DAYS business days (SPEC §4.6): follow-ups written, customers added
 * and lost, each counted by day from their own rows; overdue at each day's end from what
 * team-figures recorded.
 */
export async function teamTrend(manager: EntityManager, team: Team, { timeZone, now = new Date() }: { timeZone: string; now?: Date }): Promise<TeamTrend> {
  const today = businessDate(now, timeZone)
  const dates = Array.from({ length: TREND_DAYS }, (_, i) => addDays(today, i - (TREND_DAYS - 1)))
  const bounds = Object.fromEntries([...dates, addDays(today, 1)].map((date, i) => [`b${i}`, startOfBusinessDay(date, timeZone)]))
  const ids = team.memberIds
  const teamManager = team.manager && { userid: team.manager.userid, name: team.manager.name }
  if (ids?.length === 0) return { manager: teamManager, days: dates.map((date) => ({ date, followUps: 0, added: 0, lost: 0, overdue: null })) }
  const last = `b${TREND_DAYS}`

  const inSpan = (column: string) => `${column} >= :b0 AND ${column} < :${last}`
  const byDay = (sql: string) => query<{ day: number | string; n: number | string }>(manager, sql, { ...bounds, ids, lost: 'deleted_by_customer' satisfies FollowStatus })
  const [written, added, lost, recorded] = await Promise.all([
    byDay(`SELECT t.day, COUNT(*) AS n FROM (SELECT ${dayOf('created_at')} AS day FROM follow_ups
            WHERE ${ids ? 'author_member_id IN (:...ids) AND ' : ''}${inSpan('created_at')}) t GROUP BY t.day`),
    byDay(`SELECT t.day, COUNT(*) AS n FROM (SELECT ${dayOf('added_at')} AS day FROM follow_relations
            WHERE ${ids ? 'member_id IN (:...ids) AND ' : ''}${inSpan('added_at')}) t GROUP BY t.day`),
    byDay(`SELECT t.day, COUNT(*) AS n FROM (SELECT ${dayOf('status_changed_at')} AS day FROM follow_relations
            WHERE ${ids ? 'member_id IN (:...ids) AND ' : ''}status = :lost AND ${inSpan('status_changed_at')}) t GROUP BY t.day`),
    // Every member's row of each recorded day, so that a day recorded with nobody of this team in it reads 0, not "not recorded".
    query<{ business_date: Date | string; overdue: number | string }>(
      manager,
      `SELECT business_date, SUM(${ids ? 'CASE WHEN member_id IN (:...ids) THEN overdue ELSE 0 END' : 'overdue'}) AS overdue
         FROM member_daily_figures WHERE business_date >= :first AND business_date < :today GROUP BY business_date`,
      { ids, first: dates[0], today },
    ),
  ])
  const [followUps, addedOn, lostOn] = [perDay(written), perDay(added), perDay(lost)]
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
