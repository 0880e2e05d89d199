import type { EntityManager } from 'typeorm'
import { query, rawInstant } from '../db/sql'
import { MEMBER_STATUS, TeamRobot } from '../entities'

/**
 * Group robots per manager's team (提醒规则, SPEC §4.6): the team's digest goes to the team's
 * group chat too. A key is a secret: it goes to WeCom and nowhere else (never answered,
 * logged or written to the activity log); people see its last four characters.
 */

/** A robot's key as WeCom gives it (a UUID [U]: any letters, digits and dashes are taken). */
const ROBOT_KEY = /^[A-Za-z0-9-]{16,64}$/

/**
 * The key in what an operator pasted: the key itself, or the whole webhook address WeCom's
 * group settings show (…/cgi-bin/webhook/send?key=…). Null when it is neither.
 */
export function parseRobotKey(pasted: string): string | null {
  const text = pasted.trim()
  if (ROBOT_KEY.test(text)) return text
  try {
    const key = new URL(text).searchParams.get('key')
    return key !== null && ROBOT_KEY.test(key) ? key : null
  } catch {
    return null
  }
}

/** What the console shows of a key once saved. */
export const maskRobotKey = (key: string) => `••••${key.slice(-4)}`

/** The managers whose teams have a robot, by member id (the digest's plan: no keys in it). */
export async function teamRobotManagers(manager: EntityManager): Promise<Set<number>> {
  return new Set((await manager.find(TeamRobot, { select: { managerId: true } })).map((robot) => robot.managerId))
}

/** The key of a manager's team robot as it is now (read when sending), or null if it was removed. */
export async function teamRobotKey(manager: EntityManager, managerId: number): Promise<string | null> {
  return (await manager.findOneBy(TeamRobot, { managerId }))?.robotKey ?? null
}

export interface TeamRobotListing {
  managerId: number
  userid: string
  name: string
  reports: number
  /** The saved key, masked; null: no robot. */
  maskedKey: string | null
  updatedAt: Date | null
}

/** Every manager still here with reports, and their team's robot if any: the console's list. */
export async function listTeamRobots(manager: EntityManager): Promise<TeamRobotListing[]> {
  const rows = await query<{ id: number; userid: string; name: string; reports: number | string; robot_key: string | null; updated_at: Date | string | null }>(
    manager,
    `SELECT b.id, b.userid, b.name, COUNT(*) AS reports, t.robot_key, t.updated_at
       FROM manager_links l JOIN members b ON b.id = l.manager_id JOIN members r ON r.id = l.member_id
       LEFT JOIN team_robots t ON t.manager_id = b.id
      WHERE b.status <> :left AND r.status <> :left
      GROUP BY b.id, b.userid, b.name, t.robot_key, t.updated_at
      ORDER BY b.name, b.userid`,
    { left: MEMBER_STATUS.left },
  )
  return rows.map((row) => ({
    managerId: Number(row.id),
    userid: row.userid,
    name: row.name,
    reports: Number(row.reports),
    maskedKey: row.robot_key === null ? null : maskRobotKey(row.robot_key),
    updatedAt: row.updated_at === null ? null : rawInstant(row.updated_at),
  }))
}

/** Sets (or replaces) a team's robot; `actorMemberId` null: not from the console (the demo's seed). */
export async function setTeamRobot(manager: EntityManager, managerId: number, robotKey: string, actorMemberId: number | null, now = new Date()): Promise<void> {
  await manager.upsert(TeamRobot, { managerId, robotKey, updatedByMemberId: actorMemberId, updatedAt: now }, ['managerId'])
}

/** Removes a team's robot; false if it had none. */
export async function removeTeamRobot(manager: EntityManager, managerId: number): Promise<boolean> {
  return ((await manager.delete(TeamRobot, { managerId })).affected ?? 0) > 0
}
