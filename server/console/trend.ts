import type { EntityManager } from 'typeorm'
import type { TeamTrend, TeamTrendDay } from '../api/contract'
import { followUpStats } from '../bot/followUpStats'
import { query, rawDay } from '../db/sql'
import { MemberDailyFigure } from '../entities'
import { addDays, businessDate, startOfBusinessDay } from '../time'
import type { Team } from './team'

/** Days on 团队's chart, today included. */
export const TREND_DAYS = 30
/** Rows a figures insert carries (well within SQLite's bound-variable limit at 4 columns). */
const RECORD_BATCH = 500

/** One SUM a day, named `<name><i>`: the rows whose `column` falls in day i, [:b<i>, :b<i+1>), and that meet `also`. */
const perDay = (name: string, column: string, also = '1 = 1') =>
  Array.from({ length: TREND_DAYS }, (_, i) => `SUM(CASE WHEN ${column} >= :b${i} AND ${column} < :b${i + 1} AND ${also} THEN 1 ELSE 0 END) AS ${name}${i}`).join(', ')
/** The per-day sums named `<name><i>` of a row, as numbers. */
const dayCounts = (row: Record<string, number | string | null> | undefined, name: string) => Array.from({ length: TREND_DAYS }, (_, i) => Number(row?.[`${name}${i}`] ?? 0))

/**
 * A team's last TREND_DAYS business days (SPEC §4.6): follow-ups written, customers added
 * and lost, each day counted from their own rows in one pass a table (a SUM per day, over the
 * member-first indexes); overdue at each day's end from what team-figures recorded.
 */
export async function teamTrend(manager: EntityManager, team: Team, { timeZone, now = new Date() }: { timeZone: string; now?: Date }): Promise<TeamTrend> {
  const today = businessDate(now, timeZone)
  const dates = Array.from({ length: TREND_DAYS }, (_, i) => addDays(today, i - (TREND_DAYS - 1)))
  const bounds = Object.fromEntries([...dates, addDays(today, 1)].map((date, i) => [`b${i}`, startOfBusinessDay(date, timeZone)]))
  const ids = team.memberIds
  const teamManager = team.manager && { userid: team.manager.userid, name: team.manager.name }
  if (ids?.length === 0) return { manager: teamManager, days: dates.map((date) => ({ date, followUps: 0, added: 0, lost: 0, overdue: null })) }
  const last = `b${TREND_DAYS}`

  const [[written], [follows], recorded] = await Promise.all([
    query<Record<string, number | string | null>>(
      manager,
      `SELECT ${perDay('written', 'created_at')}
         FROM follow_ups WHERE ${ids ? 'author_member_id IN (:...ids) AND ' : ''}created_at >= :b0 AND created_at < :${last}`,
      { ...bounds, ids },
    ),
    query<Record<string, number | string | null>>(
      manager,
      `SELECT ${perDay('added', 'f.added_at')}, ${perDay('lost', 'f.status_changed_at', "f.status = 'deleted_by_customer'")}
         FROM follow_relations f
        WHERE ${ids ? 'f.member_id IN (:...ids) AND ' : ''}(f.added_at >= :b0 OR (f.status = 'deleted_by_customer' AND f.status_changed_at >= :b0))`,
      { ...bounds, ids },
    ),
    // Every member's row of each recorded day, so that a day recorded with nobody of this team in it reads 0, not "not recorded".
    query<{ business_date: Date | string; overdue: number | string }>(
      manager,
      `SELECT business_date, SUM(${ids ? 'CASE WHEN member_id IN (:...ids) THEN overdue ELSE 0 END' : 'overdue'}) AS overdue
         FROM member_daily_figures WHERE business_date >= :first AND business_date < :today GROUP BY business_date`,
      { ids, first: dates[0], today },
    ),
  ])
  const [followUps, added, lost] = [dayCounts(written, 'written'), dayCounts(follows, 'added'), dayCounts(follows, 'lost')]
  const overdueOn = new Map(recorded.map((row) => [rawDay(row.business_date)!, Number(row.overdue)]))
  const days: TeamTrendDay[] = dates.map((date, i) => ({ date, followUps: followUps[i]!, added: added[i]!, lost: lost[i]!, overdue: overdueOn.get(date) ?? null }))
  return { manager: teamManager, days }
}

/**
 * Records every member's follows overdue at the end of business day `date` (the digest's
 * figure, judged as of that day's end): the one series of the chart that cannot be read
 * back later. Run again for the same day, it replaces what it wrote. Returns the members recorded.
 */
export async function recordDailyFigures(manager: EntityManager, { date, timeZone, now = new Date() }: { date: string; timeZone: string; now?: Date }): Promise<number> {
  const stats = await followUpStats(manager, { date, timeZone, now })
  const rows = [...stats.values()].map((member) => ({ businessDate: date, memberId: member.memberId, overdue: member.overdue, recordedAt: now }))
  for (let start = 0; start < rows.length; start += RECORD_BATCH) {
    await manager.upsert(MemberDailyFigure, rows.slice(start, start + RECORD_BATCH), ['businessDate', 'memberId'])
  }
  return rows.length
}
