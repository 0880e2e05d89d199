import type { EntityManager } from 'typeorm'
import type { ConsoleMe, ConsoleRole, Stage, TeamMemberCustomers, TeamReport } from '../api/contract'
import { followUpStats } from '../bot/followUpStats'
import { query, rawDay, rawInstant } from '../db/sql'
import { MEMBER_STATUS } from '../entities'
import { FOLLOW_UP_OVERDUE_SQL, followUpRuleParameters } from '../rules/followUps'
import { graceMs, readReminderRules } from '../rules/reminderRules'
import { addDays, businessDate, startOfBusinessDay } from '../time'

/** Who is looking at the console: a signed-in member and the role that lets them in. */
export interface ConsoleViewer {
  id: number
  userid: string
  name: string
  role: ConsoleRole
}

/** A team on 团队: a manager's reports, or (manager null) every member of the company. */
export interface Team {
  manager: { id: number; userid: string; name: string } | null
  /** Null: every member still in the company, read as such (a company's ids would make an IN list past SQLite's bound-variable limit). */
  memberIds: number[] | null
}

/** A report's customer list as read; server/presenters/console.ts makes it the API's TeamMemberCustomers. */
export type MemberCustomerList = Omit<TeamMemberCustomers, 'customers'> & {
  customers: (Omit<TeamMemberCustomers['customers'][number], 'addedAt' | 'lastFollowedUpAt'> & { addedAt: Date; lastFollowedUpAt: Date | null })[]
}

/** Days of follow-ups 近7天跟进 counts, today included. */
const FOLLOW_UP_DAYS = 7
/** A report's customer list shows this many, the most overdue first. */
const CUSTOMER_LIST_LIMIT = 500

/**
 * The console role of a member (SPEC §3.5): operators are named by ADMIN_USERIDS; managers
 * are members someone reports to (manager_links: WeCom's leaders, or the console's overrides).
 * Null: the console is not for them.
 */
export async function consoleRoleOf(manager: EntityManager, member: { id: number; userid: string }, adminUserIds: readonly string[]): Promise<ConsoleRole | null> {
  if (adminUserIds.includes(member.userid)) return 'operator'
  const [report] = await query(
    manager,
    'SELECT 1 AS found FROM manager_links l JOIN members r ON r.id = l.member_id WHERE l.manager_id = :id AND r.status <> :left LIMIT 1',
    { id: member.id, left: MEMBER_STATUS.left },
  )
  return report ? 'manager' : null
}

/** Every team with at least one report still here, by manager: the teams an operator can pick. */
async function managerTeams(manager: EntityManager, onlyManagerId?: number) {
  const rows = await query<{ manager_id: number; userid: string; name: string; member_id: number }>(
    manager,
    `SELECT b.id AS manager_id, b.userid, b.name, l.member_id
       FROM manager_links l JOIN members b ON b.id = l.manager_id JOIN members r ON r.id = l.member_id
      WHERE b.status <> :left AND r.status <> :left ${onlyManagerId === undefined ? '' : 'AND b.id = :onlyManagerId'}
      ORDER BY b.userid, l.member_id`,
    { left: MEMBER_STATUS.left, onlyManagerId },
  )
  const teams = new Map<number, { manager: NonNullable<Team['manager']>; memberIds: number[] }>()
  for (const row of rows) {
    const id = Number(row.manager_id)
    const team = teams.get(id) ?? { manager: { id, userid: row.userid, name: row.name }, memberIds: [] }
    team.memberIds.push(Number(row.member_id))
    teams.set(id, team)
  }
  return [...teams.values()]
}

/** The teams `viewer` may open: a manager their own; an operator every manager's. */
export async function visibleTeams(manager: EntityManager, viewer: ConsoleViewer): Promise<ConsoleMe['teams']> {
  const teams = await managerTeams(manager, viewer.role === 'operator' ? undefined : viewer.id)
  return teams.map((team) => ({ managerUserid: team.manager.userid, managerName: team.manager.name, members: team.memberIds.length }))
}

/**
 * The team `requested` names ('all', or a manager's userid), or null when `viewer` may not
 * see it: a manager sees only their own team, an operator any team and the whole company.
 */
export async function requestedTeam(manager: EntityManager, viewer: ConsoleViewer, requested: string): Promise<Team | null> {
  if (requested === 'all') {
    return viewer.role === 'operator' ? { manager: null, memberIds: null } : null
  }
  if (viewer.role !== 'operator' && requested !== viewer.userid) return null
  const [boss] = await query<{ id: number }>(manager, 'SELECT id FROM members WHERE userid = :userid AND status <> :left', { userid: requested, left: MEMBER_STATUS.left })
  if (!boss) return viewer.role === 'operator' ? { manager: null, memberIds: [] } : null
  const [team] = await managerTeams(manager, Number(boss.id))
  return team ?? null
}

/**
 * A team's figures for today (SPEC §3.5 团队): the digest's own counts (followUpStats, for
 * the team's members only) and the follow-ups each wrote in the last seven business days.
 * Every member of the team gets a row, those without customers too.
 */
export async function teamReport(manager: EntityManager, team: Team, { timeZone, now = new Date() }: { timeZone: string; now?: Date }): Promise<TeamReport> {
  const date = businessDate(now, timeZone)
  const since = startOfBusinessDay(addDays(date, 1 - FOLLOW_UP_DAYS), timeZone)
  const ids = team.memberIds
  if (ids?.length === 0) return { date, manager: team.manager && { userid: team.manager.userid, name: team.manager.name }, members: [] }
  const [stats, members, written] = await Promise.all([
    followUpStats(manager, { date, timeZone, now, withNames: false, ...(ids ? { memberIds: ids } : {}) }),
    query<{ id: number; userid: string; name: string }>(
      manager,
      `SELECT id, userid, name FROM members WHERE ${ids ? 'id IN (:...ids)' : 'status <> :left'} ORDER BY userid`,
      { ids, left: MEMBER_STATUS.left },
    ),
    query<{ author_member_id: number; n: number | string }>(
      manager,
      `SELECT author_member_id, COUNT(*) AS n FROM follow_ups WHERE ${ids ? 'author_member_id IN (:...ids) AND ' : ''}created_at >= :since GROUP BY author_member_id`,
      { ids, since },
    ),
  ])
  const writtenBy = new Map(written.map((row) => [Number(row.author_member_id), Number(row.n)]))
  return {
    date,
    manager: team.manager && { userid: team.manager.userid, name: team.manager.name },
    members: members.map((member) => {
      const figures = stats.get(Number(member.id))
      return {
        userid: member.userid,
        name: member.name,
        customers: figures?.live ?? 0,
        overdue: figures?.overdue ?? 0,
        dueToday: figures?.dueToday ?? 0,
        newUnfollowed: figures?.newUnfollowed ?? 0,
        lostYesterday: figures?.lostYesterday ?? 0,
        followUpsLast7Days: writtenBy.get(Number(member.id)) ?? 0,
      }
    }),
  }
}

/**
 * A report's live customers, the overdue first (longest overdue first), then by next
 * follow-up date; null when `viewer` may not see that member (a manager: only their reports).
 */
export async function memberCustomers(
  manager: EntityManager,
  viewer: ConsoleViewer,
  userid: string,
  { timeZone, now = new Date() }: { timeZone: string; now?: Date },
): Promise<MemberCustomerList | null> {
  const [member] = await query<{ id: number; userid: string; name: string; is_report: number | string }>(
    manager,
    `SELECT m.id, m.userid, m.name, CASE WHEN l.member_id IS NULL THEN 0 ELSE 1 END AS is_report
       FROM members m LEFT JOIN manager_links l ON l.member_id = m.id AND l.manager_id = :viewer
      WHERE m.userid = :userid`,
    { userid, viewer: viewer.id },
  )
  if (!member || (viewer.role !== 'operator' && Number(member.is_report) !== 1)) return null
  const today = businessDate(now, timeZone)
  const grace = graceMs(await readReminderRules(manager))
  const rows = await query<{ external_userid: string; name: string; remark: string; stage: Stage | null; next_follow_up_on: Date | string | null; added_at: Date | string; last_followed_up_at: Date | string | null; overdue: number | string }>(
    manager,
    `SELECT c.external_userid, c.name, f.remark, f.stage, f.next_follow_up_on, f.added_at, f.last_followed_up_at,
            CASE WHEN ${FOLLOW_UP_OVERDUE_SQL} THEN 1 ELSE 0 END AS overdue
       FROM follow_relations f JOIN customers c ON c.id = f.customer_id
      WHERE f.member_id = :memberId AND f.status = 'active'
      ORDER BY overdue DESC, COALESCE(f.next_follow_up_on, f.added_at), f.id
      LIMIT ${CUSTOMER_LIST_LIMIT}`,
    { memberId: Number(member.id), ...followUpRuleParameters(today, now, grace) },
  )
  return {
    member: { userid: member.userid, name: member.name },
    customers: rows.map((row) => ({
      externalUserid: row.external_userid,
      name: row.name,
      remark: row.remark,
      stage: row.stage,
      nextFollowUpOn: rawDay(row.next_follow_up_on),
      addedAt: rawInstant(row.added_at),
      lastFollowedUpAt: row.last_followed_up_at === null ? null : rawInstant(row.last_followed_up_at),
      overdue: Number(row.overdue) === 1,
    })),
  }
}
