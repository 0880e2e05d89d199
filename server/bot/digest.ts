import type { EntityManager } from 'typeorm'
import { query } from '../db/sql'
import { MEMBER_STATUS } from '../entities'
import { teamRobotManagers } from '../rules/teamRobots'
import { businessDayWindow, followUpStats, type MemberFollowUps } from './followUpStats'
import { htmlText, markdownText, splitMessages } from './markdown'
import type { AppMessage } from './messenger'

/** App message markdown: 2048 bytes (wecom-protocol.md §3.8); robot markdown: 4096 (§3.9). */
export const APP_MARKDOWN_MAX_BYTES = 2048
export const ROBOT_MARKDOWN_MAX_BYTES = 4096

/** Where a message of the digest goes: a member (an app message), the company's group robot (WECOM_ROBOT_KEY), or a manager's team robot (提醒规则). */
export type DigestRecipient = { member: string } | { robot: 'company' } | { robot: 'team'; managerId: number }

/** One message of the digest, under the key that makes it go once. */
export interface PlannedMessage {
  /** 'digest:<manager>#<part>', 'todo:<member>', 'robot#<part>' or 'robot:<manager>#<part>': the deliveries ledger's recipient. */
  key: string
  to: DigestRecipient
  message: AppMessage
}

const ZERO = { overdue: 0, dueToday: 0, newUnfollowed: 0, lostYesterday: 0 }
type Figures = typeof ZERO

const sum = (rows: Figures[]): Figures =>
  rows.reduce((total, r) => ({ overdue: total.overdue + r.overdue, dueToday: total.dueToday + r.dueToday, newUnfollowed: total.newUnfollowed + r.newUnfollowed, lostYesterday: total.lostYesterday + r.lostYesterday }), ZERO)
const isQuiet = (r: Figures) => r.overdue + r.dueToday + r.newUnfollowed + r.lostYesterday === 0
const chineseDate = (date: string) => `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日`
const figuresLine = (r: Figures) => `逾期 ${r.overdue} · 今日到期 ${r.dueToday} · 新客户待跟进 ${r.newUnfollowed} · 昨日流失 ${r.lostYesterday}`

/** Channels the top of a team's new customers came through, named in its digest. */
const TOP_CHANNELS = 3

/** '抖音直播 5、门店海报 2': the channels most of the team's new customers of yesterday came through. */
function topChannelsLine(reports: MemberFollowUps[], arrivals: ChannelArrivals): string | null {
  const byChannel = new Map<string, number>()
  for (const report of reports) for (const [name, n] of arrivals.get(report.memberId) ?? []) byChannel.set(name, (byChannel.get(name) ?? 0) + n)
  const top = [...byChannel].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TOP_CHANNELS)
  return top.length === 0 ? null : `昨日新客来源：${top.map(([name, n]) => `${markdownText(name, 16)} ${n}`).join('、')}`
}

/** A manager's markdown: team totals (and where yesterday's new customers came from), then every report's figures, the most overdue first. */
function managerMessages(date: string, reports: MemberFollowUps[], arrivals: ChannelArrivals): string[] {
  const channels = topChannelsLine(reports, arrivals)
  const header = `**团队跟进日报 · ${chineseDate(date)}**\n${figuresLine(sum(reports))}${channels ? `\n${channels}` : ''}`
  const ordered = [...reports].sort((a, b) => b.overdue - a.overdue || b.dueToday - a.dueToday || a.userid.localeCompare(b.userid))
  const blocks = ordered.map((r) => {
    const overdue = r.overdue > 0 ? `<font color="warning">逾期 ${r.overdue}</font>` : '逾期 0'
    const line = `> **${markdownText(r.name)}**：${overdue} · 今日 ${r.dueToday} · 新客户 ${r.newUnfollowed} · 流失 ${r.lostYesterday}`
    return r.mostOverdue.length > 0 ? `${line}\n> 最久未跟进：${r.mostOverdue.map((name) => markdownText(name, 16)).join('、')}` : line
  })
  if (reports.every(isQuiet)) blocks.push('团队今天没有逾期或到期的跟进。')
  return splitMessages(header, blocks, APP_MARKDOWN_MAX_BYTES)
}

/** The team digest for the group robot: one line per manager's team, the manager mentioned. */
function robotMessages(date: string, teams: { manager: MemberFollowUps; reports: MemberFollowUps[] }[]): string[] {
  const header = `**团队跟进日报 · ${chineseDate(date)}**\n全员：${figuresLine(sum(teams.flatMap((t) => t.reports)))}`
  const blocks = teams.map(({ manager, reports }) => `> <@${manager.userid}> ${markdownText(manager.name)}团队 ${reports.length} 人：${figuresLine(sum(reports))}`)
  return splitMessages(header, blocks, ROBOT_MARKDOWN_MAX_BYTES)
}

/** Per member, the channels yesterday's new customers came through, by channel name. */
type ChannelArrivals = Map<number, [string, number][]>

async function channelArrivals(manager: EntityManager, { yesterdayStart, start }: { yesterdayStart: Date; start: Date }): Promise<ChannelArrivals> {
  const rows = await query<{ member_id: number; name: string; n: number | string }>(
    manager,
    `SELECT f.member_id, c.name, COUNT(*) AS n FROM follow_relations f JOIN channels c ON c.id = f.channel_id
      WHERE f.added_at >= :yesterdayStart AND f.added_at < :todayStart GROUP BY f.member_id, c.name`,
    { yesterdayStart, todayStart: start },
  )
  const arrivals: ChannelArrivals = new Map()
  for (const row of rows) arrivals.set(Number(row.member_id), [...(arrivals.get(Number(row.member_id)) ?? []), [row.name, Number(row.n)]])
  return arrivals
}

/** A salesperson's card: today's and overdue counts, linking to the sidebar's to-do page. */
function todoCard(date: string, member: MemberFollowUps, publicUrl: string): AppMessage {
  return {
    msgtype: 'textcard',
    textcard: {
      title: '今日跟进提醒',
      description: [
        `<div class="gray">${chineseDate(date)}</div>`,
        `<div class="normal">今日到期 ${member.dueToday} 位客户</div>`,
        `<div class="highlight">已逾期 ${member.overdue} 位客户</div>`,
        member.overdue + member.dueToday === 0 ? '<div class="gray">今天没有要跟进的客户</div>' : '',
        member.mostOverdue.length > 0 ? `<div class="gray">最久未跟进：${member.mostOverdue.map((name) => htmlText(name, 16)).join('、')}</div>` : '',
      ].join(''),
      url: `${publicUrl.replace(/\/$/, '')}/sidebar/#/todo`,
      btntxt: '去跟进',
    },
  }
}

/**
 * Every message of one business date's digest (SPEC §4.4, §4.6): each manager's markdown
 * about their reports (to their team's group robot too, when 提醒规则 gives it one), each
 * salesperson's card, and the company digest for the company's group robot when there is one.
 */
export async function planDailyDigest(
  manager: EntityManager,
  { date, timeZone, publicUrl, withCompanyRobot, now = new Date() }: { date: string; timeZone: string; publicUrl: string; withCompanyRobot: boolean; now?: Date },
): Promise<PlannedMessage[]> {
  const [stats, links, teamRobots, arrivals] = await Promise.all([
    followUpStats(manager, { date, timeZone, now }),
    query<{ manager_id: number; member_id: number; manager_userid: string; manager_name: string }>(
      manager,
      `SELECT l.manager_id, l.member_id, b.userid AS manager_userid, b.name AS manager_name
         FROM manager_links l JOIN members b ON b.id = l.manager_id JOIN members r ON r.id = l.member_id
        WHERE b.status <> :left AND r.status <> :left
        ORDER BY b.userid, l.member_id`,
      { left: MEMBER_STATUS.left },
    ),
    teamRobotManagers(manager),
    channelArrivals(manager, businessDayWindow(date, timeZone, now)),
  ])

  const teams = new Map<number, { manager: MemberFollowUps; reports: MemberFollowUps[] }>()
  for (const link of links) {
    const managerId = Number(link.manager_id)
    const team = teams.get(managerId) ?? { manager: stats.get(managerId) ?? { memberId: managerId, userid: link.manager_userid, name: link.manager_name, ...ZERO, live: 0, mostOverdue: [] }, reports: [] }
    teams.set(managerId, team)
    // A report with no customers at all has nothing to count.
    const report = stats.get(Number(link.member_id))
    if (report) team.reports.push(report)
  }

  const planned: PlannedMessage[] = []
  for (const { manager: boss, reports } of teams.values()) {
    if (reports.length === 0) continue
    const parts = managerMessages(date, reports, arrivals)
    parts.forEach((content, i) => planned.push({ key: `digest:${boss.userid}#${i + 1}`, to: { member: boss.userid }, message: { msgtype: 'markdown', markdown: { content } } }))
    // A robot takes 4096 bytes a message, an app message 2048: the same parts fit.
    if (teamRobots.has(boss.memberId)) parts.forEach((content, i) => planned.push({ key: `robot:${boss.userid}#${i + 1}`, to: { robot: 'team', managerId: boss.memberId }, message: { msgtype: 'markdown', markdown: { content } } }))
  }
  // Every salesperson (a member with a live customer) gets a card, even with nothing due.
  for (const member of [...stats.values()].sort((a, b) => a.userid.localeCompare(b.userid))) {
    if (member.live === 0) continue
    planned.push({ key: `todo:${member.userid}`, to: { member: member.userid }, message: todoCard(date, member, publicUrl) })
  }
  if (withCompanyRobot) {
    const withReports = [...teams.values()].filter((team) => team.reports.length > 0)
    robotMessages(date, withReports).forEach((content, i) => planned.push({ key: `robot#${i + 1}`, to: { robot: 'company' }, message: { msgtype: 'markdown', markdown: { content } } }))
  }
  return planned
}
