import type { ConsoleRules, ConsoleRulesPage, ConsoleTeamRobot } from '../api/contract'
import type { ReminderRules } from '../rules/reminderRules'
import type { TeamRobotListing } from '../rules/teamRobots'

export const presentRules = (rules: ReminderRules): ConsoleRules => ({ newCustomerGraceHours: rules.newCustomerGraceHours, followUpDays: { ...rules.followUpDays }, digestTime: rules.digestTime })

export function presentTeamRobot(robot: TeamRobotListing): ConsoleTeamRobot {
  return { manager: { userid: robot.userid, name: robot.name }, reports: robot.reports, maskedKey: robot.maskedKey, updatedAt: robot.updatedAt?.toISOString() ?? null }
}

export function presentRulesPage(page: { rules: ReminderRules; configuredDigestCron: string; companyRobot: boolean; teamRobots: TeamRobotListing[] }): ConsoleRulesPage {
  return { rules: presentRules(page.rules), configuredDigestCron: page.configuredDigestCron, companyRobot: page.companyRobot, teamRobots: page.teamRobots.map(presentTeamRobot) }
}
