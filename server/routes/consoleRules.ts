import Router from '@koa/router'
import { z } from 'zod'
import { STAGES } from '../api/contract'
import { Messenger } from '../bot/messenger'
import { recordActivity } from '../console/activity'
import { Member } from '../entities'
import { AppError, notFound } from '../errors'
import { parseBody } from '../http/body'
import { parseParams, useridParam } from '../http/params'
import { presentRules, presentRulesPage, presentTeamRobot } from '../presenters/consoleRules'
import { DIGEST_TIME, readReminderRules, RULE_LIMITS, saveReminderRules, type ReminderRules } from '../rules/reminderRules'
import { listTeamRobots, parseRobotKey, removeTeamRobot, setTeamRobot, teamRobotKey } from '../rules/teamRobots'
import { WecomApiError } from '../wecom/errors'
import { requireOperator, type ConsoleRouteOptions, type ConsoleState } from './consolePage'

const { graceHours, followUpDays } = RULE_LIMITS
const days = z.number().int().min(followUpDays.min).max(followUpDays.max)
const rulesRequest = z.object({
  newCustomerGraceHours: z.number().int().min(graceHours.min).max(graceHours.max),
  followUpDays: z.partialRecord(z.enum(STAGES), days),
  digestTime: z.string().regex(DIGEST_TIME, 'must be HH:MM').nullable(),
})
const robotPath = z.object({ userid: useridParam })
const robotRequest = z.object({ key: z.string().max(512) })

/** The fields a change touched, before and after: what the activity log keeps. */
function changes(before: ReminderRules, after: ReminderRules): Record<string, { from: unknown; to: unknown }> {
  const changed: Record<string, { from: unknown; to: unknown }> = {}
  for (const field of ['newCustomerGraceHours', 'digestTime'] as const) if (before[field] !== after[field]) changed[field] = { from: before[field], to: after[field] }
  for (const stage of STAGES) {
    const [from, to] = [before.followUpDays[stage] ?? null, after.followUpDays[stage] ?? null]
    if (from !== to) changed[`followUpDays.${stage}`] = { from, to }
  }
  return changed
}

/**
 * 提醒规则 (SPEC §4.6), for operators: the grace period, the default intervals per stage and
 * the digest's time, which every process reads when it applies them (no restart); and a
 * group robot per manager's team, whose key is taken once and never answered again.
 */
export function consoleRulesRoutes({ config, dataSource, wecom }: ConsoleRouteOptions): Router<ConsoleState> {
  const router = new Router<ConsoleState>()
  router.use(['/rules', '/robots'], requireOperator)
  const messenger = new Messenger(wecom.client, wecom.config)

  const page = async () => {
    const [rules, teamRobots] = await Promise.all([readReminderRules(dataSource.manager), listTeamRobots(dataSource.manager)])
    return presentRulesPage({ rules, configuredDigestCron: config.digestCron, companyRobot: wecom.config.robotKey !== null, teamRobots })
  }
  /** A manager (a member still here with reports) by userid: a team robot belongs to a team. */
  const teamOf = async (userid: string) => {
    const robot = (await listTeamRobots(dataSource.manager)).find((r) => r.userid === userid)
    if (!robot) throw notFound(`${userid} has no team: a group robot goes with a manager's team`)
    return robot
  }

  router.get('/rules', async (ctx) => {
    ctx.body = await page()
  })

  router.put('/rules', async (ctx) => {
    const rules = await parseBody(ctx, rulesRequest)
    await dataSource.transaction(async (tx) => {
      const before = await readReminderRules(tx)
      await saveReminderRules(tx, rules, ctx.state.viewer.id)
      const changed = changes(before, rules)
      if (Object.keys(changed).length > 0) await recordActivity(tx, { actorMemberId: ctx.state.viewer.id, action: 'reminder_rules_changed', detail: changed })
    })
    ctx.body = presentRules(await readReminderRules(dataSource.manager))
  })

  router.put('/robots/:userid', async (ctx) => {
    const { userid } = parseParams(ctx, robotPath)
    const { key: pasted } = await parseBody(ctx, robotRequest)
    const team = await teamOf(userid)
    const key = parseRobotKey(pasted)
    if (key === null) throw new AppError('robot_key', 'Paste the group robot\'s webhook address (…/cgi-bin/webhook/send?key=…) or its key')
    await dataSource.transaction(async (tx) => {
      await setTeamRobot(tx, team.managerId, key, ctx.state.viewer.id)
      await recordActivity(tx, { actorMemberId: ctx.state.viewer.id, action: team.maskedKey ? 'team_robot_replaced' : 'team_robot_set', detail: { manager: userid } })
    })
    ctx.body = presentTeamRobot(await teamOf(userid))
  })

  router.delete('/robots/:userid', async (ctx) => {
    const { userid } = parseParams(ctx, robotPath)
    const team = await teamOf(userid)
    await dataSource.transaction(async (tx) => {
      if (await removeTeamRobot(tx, team.managerId)) await recordActivity(tx, { actorMemberId: ctx.state.viewer.id, action: 'team_robot_removed', detail: { manager: userid } })
    })
    ctx.status = 204
  })

  // 发送测试消息: whether WeCom takes the saved key, said now rather than at tomorrow's digest.
  router.post('/robots/:userid/test', async (ctx) => {
    const { userid } = parseParams(ctx, robotPath)
    const team = await teamOf(userid)
    const key = await teamRobotKey(dataSource.manager, team.managerId)
    if (key === null) throw notFound(`${userid}'s team has no group robot`)
    const member = await dataSource.manager.findOneByOrFail(Member, { id: ctx.state.viewer.id })
    try {
      await messenger.sendRobot(key, `**群机器人已接通**\n${team.name}团队的跟进日报会每天发到这个群。（${member.name} 在客户管理后台发送的测试消息）`)
    } catch (error) {
      if (error instanceof WecomApiError) throw new AppError('wecom_refused', `WeCom refused the test message (${error.code})`)
      throw error
    }
    ctx.body = { sent: true }
  })

  return router
}
