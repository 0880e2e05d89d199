import Router from '@koa/router'
import { z } from 'zod'
import { recordActivity } from '../console/activity'
import { memberManagers, OverrideRefused, setManagerOverrides } from '../console/managers'
import { notFound, validationFailed } from '../errors'
import { parseBody } from '../http/body'
import { parseParams, useridParam } from '../http/params'
import { presentMemberManagers } from '../presenters/console'
import { requireOperator, type ConsoleRouteOptions, type ConsoleState } from './consolePage'

const userid = useridParam
const memberPath = z.object({ userid })
const overrideRequest = z.object({ managers: z.array(userid).max(20) })

/**
 * Manager overrides (SPEC §4.4: "the console can override"), for operators: whom each member
 * reports to, and the console's choice in place of WeCom's. An empty list gives the member
 * back to WeCom's direct_leader or department leaders.
 */
export function consoleManagerRoutes({ dataSource }: ConsoleRouteOptions): Router<ConsoleState> {
  const router = new Router<ConsoleState>()
  router.use('/managers', requireOperator)

  router.get('/managers', async (ctx) => {
    ctx.body = { members: (await memberManagers(dataSource.manager)).map(presentMemberManagers) }
  })

  router.put('/managers/:userid', async (ctx) => {
    const { userid: member } = parseParams(ctx, memberPath)
    const { managers } = await parseBody(ctx, overrideRequest)
    try {
      await dataSource.transaction(async (tx) => {
        await setManagerOverrides(tx, member, managers)
        await recordActivity(tx, { actorMemberId: ctx.state.viewer.id, action: managers.length > 0 ? 'manager_override_set' : 'manager_override_cleared', detail: { member, managers } })
      })
    } catch (error) {
      if (error instanceof OverrideRefused) throw validationFailed(error.message)
      throw error
    }
    const [row] = await memberManagers(dataSource.manager, { userid: member })
    if (!row) throw notFound(`No member ${member}`)
    ctx.body = presentMemberManagers(row)
  })

  return router
}
