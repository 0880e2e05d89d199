import Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { requireSession } from '../auth/requireSession'
import { consoleRoleOf, memberCustomers, requestedTeam, teamReport, visibleTeams } from '../console/team'
import { AppError, forbidden, notFound } from '../errors'
import { parseParams, useridParam } from '../http/params'
import { presentConsoleMe, presentMemberCustomers, presentTeamReport, presentTeamTrend } from '../presenters/console'
import { teamTrend } from '../console/trend'
import type { ConsoleRouteOptions, ConsoleState } from './consolePage'
import { consoleChannelRoutes } from './consoleChannels'
import { consoleManagerRoutes } from './consoleManagers'
import { consoleRulesRoutes } from './consoleRules'
import { consoleScriptsRoutes } from './consoleScripts'
import { consoleSourceRoutes } from './consoleSources'
import { consoleSystemRoutes } from './consoleSystem'
import { consoleTagRoutes } from './consoleTags'

/** The console's page routers, each a Router<ConsoleState> without a prefix of its own, mounted behind the role check below. */
type PageRoutes = (options: ConsoleRouteOptions) => Router<ConsoleState>
const PAGE_ROUTES: PageRoutes[] = [
  consoleScriptsRoutes,
  consoleTagRoutes,
  consoleSystemRoutes,
  consoleSourceRoutes,
  consoleManagerRoutes,
  consoleRulesRoutes,
  consoleChannelRoutes,
]

const userid = useridParam
const memberPath = z.object({ userid })
const teamQuery = z.object({ manager: userid.optional() })

/**
 * The console's API (SPEC §3.5): behind a session, then behind a console role. Operators
 * (ADMIN_USERIDS) may call everything; managers what concerns their own reports; anyone else
 * gets 403 no_console_access from every call.
 */
export function consoleRoutes(options: ConsoleRouteOptions): Router<ConsoleState> {
  const { config, dataSource } = options
  const router = new Router<ConsoleState>({ prefix: '/api/console' })
  router.use(requireSession(dataSource))
  router.use(async function requireConsoleRole(ctx, next) {
    const { member } = ctx.state
    const role = await consoleRoleOf(dataSource.manager, member, config.adminUserIds)
    if (!role) throw new AppError('no_console_access', 'The console is for operators and managers')
    ctx.state.viewer = { id: member.id, userid: member.userid, name: member.name, role }
    await next()
  })

  router.get('/me', async (ctx) => {
    ctx.body = presentConsoleMe(ctx.state.viewer, await visibleTeams(dataSource.manager, ctx.state.viewer))
  })

  // ?manager=: a manager's own team by default; operators name any manager, or 'all' for the company.
  const teamInQuery = async (ctx: Context & { state: ConsoleState }) => {
    const parsed = teamQuery.safeParse(ctx.query)
    if (!parsed.success) throw new AppError('bad_request', 'manager must be a userid or all')
    const { viewer } = ctx.state
    const requested = parsed.data.manager ?? (viewer.role === 'operator' ? 'all' : viewer.userid)
    const team = await requestedTeam(dataSource.manager, viewer, requested)
    if (!team) throw forbidden('Only your own team')
    return team
  }

  router.get('/team', async (ctx) => {
    ctx.body = presentTeamReport(await teamReport(dataSource.manager, await teamInQuery(ctx), { timeZone: config.timezone }))
  })

  router.get('/team/trend', async (ctx) => {
    const team = await teamInQuery(ctx)
    ctx.body = presentTeamTrend(await teamTrend(dataSource.manager, team, { timeZone: config.timezone }))
  })

  router.get('/team/members/:userid/customers', async (ctx) => {
    const { userid: member } = parseParams(ctx, memberPath)
    const list = await memberCustomers(dataSource.manager, ctx.state.viewer, member, { timeZone: config.timezone })
    if (!list) throw notFound('No such member in your team')
    ctx.body = presentMemberCustomers(list)
  })

  for (const pageRoutes of PAGE_ROUTES) {
    const page = pageRoutes(options)
    router.use(page.routes(), page.allowedMethods())
  }
  return router
}
