import Router from '@koa/router'
import { z } from 'zod'
import { recordActivity } from '../console/activity'
import { conflict, notFound, validationFailed } from '../errors'
import { parseBody } from '../http/body'
import { parseParams } from '../http/params'
import { createSource, listSources, removeSource, rotateSecret, SOURCE_NAME, SourceError } from '../orders/sources'
import { presentOrderSource } from '../presenters/console'
import { requireOperator, type ConsoleRouteOptions, type ConsoleState } from './consolePage'

const sourcePath = z.object({ name: z.string().regex(SOURCE_NAME, 'must be a source name') })
const sourceRequest = z.object({ name: z.string().trim(), platform: z.string().trim() })

/**
 * 订单来源 (SPEC §4.6): the shop systems allowed to post to the order webhook, for operators.
 * A secret is answered once, when made or replaced, and never listed; the activity log
 * records each change without it.
 */
export function consoleSourceRoutes({ config, dataSource }: ConsoleRouteOptions): Router<ConsoleState> {
  const router = new Router<ConsoleState>()
  router.use('/sources', requireOperator)
  const present = (source: Parameters<typeof presentOrderSource>[0]) => presentOrderSource(source, config.publicUrl)
  const sourceNamed = async (name: string) => {
    const source = (await listSources(dataSource.manager)).find((s) => s.name === name)
    if (!source) throw notFound(`No order source named "${name}"`)
    return source
  }

  router.get('/sources', async (ctx) => {
    ctx.body = { sources: (await listSources(dataSource.manager)).map(present) }
  })

  router.post('/sources', async (ctx) => {
    const { name, platform } = await parseBody(ctx, sourceRequest)
    const secret = await dataSource.transaction(async (tx) => {
      try {
        const made = await createSource(tx, { name, platform })
        await recordActivity(tx, { actorMemberId: ctx.state.viewer.id, action: 'order_source_added', detail: { name, platform } })
        return made
      } catch (error) {
        if (!(error instanceof SourceError)) throw error
        throw error.message.includes('already exists') ? conflict(error.message) : validationFailed(error.message)
      }
    })
    ctx.status = 201
    ctx.body = { source: present(await sourceNamed(name)), secret }
  })

  router.post('/sources/:name/secret', async (ctx) => {
    const { name } = parseParams(ctx, sourcePath)
    await sourceNamed(name)
    const secret = await dataSource.transaction(async (tx) => {
      const replaced = await rotateSecret(tx, name)
      await recordActivity(tx, { actorMemberId: ctx.state.viewer.id, action: 'order_source_rotated', detail: { name } })
      return replaced
    })
    ctx.body = { source: present(await sourceNamed(name)), secret }
  })

  router.delete('/sources/:name', async (ctx) => {
    const { name } = parseParams(ctx, sourcePath)
    await sourceNamed(name)
    await dataSource.transaction(async (tx) => {
      await removeSource(tx, name)
      await recordActivity(tx, { actorMemberId: ctx.state.viewer.id, action: 'order_source_removed', detail: { name } })
    })
    ctx.status = 204
  })

  return router
}
