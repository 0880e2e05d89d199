import Router from '@koa/router'
import type { DataSource } from 'typeorm'
import type { Config } from '../../config'
import { loadPanel } from '../customers/panel'
import { notFound } from '../errors'
import { requireSession, type SessionState } from '../http/session'

/** The sidebar's customer API: everything behind a session, every customer behind its access rule. */
export function customerRoutes({ config, dataSource }: { config: Config; dataSource: DataSource }): Router<SessionState> {
  const router = new Router<SessionState>({ prefix: '/api/customers' })
  router.use(requireSession(dataSource))

  // One call per panel open (SPEC §4.2).
  router.get('/:externalUserid/panel', async (ctx) => {
    const { member } = ctx.state
    const panel = await loadPanel(
      dataSource.manager,
      { id: member.id, name: member.name, isOperator: config.adminUserIds.includes(member.userid) },
      ctx.params.externalUserid!,
    )
    // The same answer whether the customer does not exist or is someone else's.
    if (!panel) throw notFound('No such customer among yours')
    ctx.body = panel
  })

  return router
}
