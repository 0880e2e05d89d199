import type { ConsoleMe, ConsoleMemberManagers, ConsoleOrderSource, TeamMemberCustomers, TeamReport, TeamTrend } from '../api/contract'
import type { MemberManagers } from '../console/managers'
import type { SourceSummary } from '../orders/sources'
import type { ConsoleViewer, MemberCustomerList } from '../console/team'

/** GET /api/console/me. */
export function presentConsoleMe(viewer: ConsoleViewer, teams: ConsoleMe['teams']): ConsoleMe {
  return { member: { userid: viewer.userid, name: viewer.name }, role: viewer.role, teams: teams.map((t) => ({ managerUserid: t.managerUserid, managerName: t.managerName, members: t.members })) }
}

/** GET /api/console/team: the figures, field by field. */
export function presentTeamReport(report: TeamReport): TeamReport {
  return {
    date: report.date,
    manager: report.manager && { userid: report.manager.userid, name: report.manager.name },
    members: report.members.map((m) => ({
      userid: m.userid,
      name: m.name,
      customers: m.customers,
      overdue: m.overdue,
      dueToday: m.dueToday,
      newUnfollowed: m.newUnfollowed,
      lostYesterday: m.lostYesterday,
      followUpsLast7Days: m.followUpsLast7Days,
    })),
  }
}

/** GET /api/console/team/trend: day by day, field by field. */
export function presentTeamTrend(trend: TeamTrend): TeamTrend {
  return {
    manager: trend.manager && { userid: trend.manager.userid, name: trend.manager.name },
    days: trend.days.map((d) => ({ date: d.date, followUps: d.followUps, added: d.added, lost: d.lost, overdue: d.overdue })),
  }
}

/** GET /api/console/team/members/:userid/customers. */
export function presentMemberCustomers(list: MemberCustomerList): TeamMemberCustomers {
  return {
    member: { userid: list.member.userid, name: list.member.name },
    customers: list.customers.map((c) => ({
      externalUserid: c.externalUserid,
      name: c.name,
      remark: c.remark,
      stage: c.stage,
      nextFollowUpOn: c.nextFollowUpOn,
      addedAt: c.addedAt.toISOString(),
      lastFollowedUpAt: c.lastFollowedUpAt?.toISOString() ?? null,
      overdue: c.overdue,
    })),
  }
}

/** An order source as 订单来源 lists it, with the URL its shop system posts to; never its secret. */
export function presentOrderSource(source: SourceSummary, publicUrl: string): ConsoleOrderSource {
  return {
    name: source.name,
    platform: source.platform,
    webhookUrl: `${publicUrl.replace(/\/$/, '')}/api/integrations/orders/${source.name}`,
    createdAt: source.createdAt.toISOString(),
    rotatedAt: source.rotatedAt?.toISOString() ?? null,
    lastOrderAt: source.lastOrderAt?.toISOString() ?? null,
  }
}

/** A member's managers, as the manager overrides show them. */
export function presentMemberManagers(row: MemberManagers): ConsoleMemberManagers {
  return { userid: row.userid, name: row.name, managers: row.managers.map((m) => ({ userid: m.userid, name: m.name })), overridden: row.overridden }
}
