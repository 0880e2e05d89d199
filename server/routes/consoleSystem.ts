import Router from '@koa/router'
import { z } from 'zod'
import type { ActivityPage, DeadLetterPage, InboxFigures, ReplayResult, SyncOverview, SyncStartResult } from '../api/contract'
import { activityLog, deadLetters, inboxFigures, replay, startConsoleSync, syncRun, syncRuns } from '../console/system'
import { AppError, notFound } from '../errors'
import { idParam, parseParams } from '../http/params'
import { presentSyncRun } from '../presenters/consoleSystem'
import { requireOperator, type ConsoleRouteOptions, type ConsoleState } from './consolePage'

const idPath = z.object({ id: idParam })
const pageQuery = z.object({ before: idParam.optional() }).strict()
const activityQuery = z
  .object({
    member: z.string().regex(/^[\x21-\x7e]{1,64}$/, 'must be a WeCom userid').optional(),
    action: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be an action name').optional(),
    before: idParam.optional(),
  })
  .strict()

/** A query string's values, validated; a repeated or unknown key, or a bad value, is 400 bad_request. */
function parseQuery<S extends z.ZodType>(query: unknown, schema: S, message: string): z.infer<S> {
  const parsed = schema.safeParse(query)
  if (!parsed.success) throw new AppError('bad_request', `${message}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'query'} ${i.message}`).join('; ')}`)
  return parsed.data
}

/**
 * 系统 (SPEC §3.5, §4.6), operators only: the inbox's figures, its dead letters and their
 * replay, the full syncs and 立即同步, and the activity log.
 */
export function consoleSystemRoutes({ dataSource, wecom, logger }: ConsoleRouteOptions): Router<ConsoleState> {
  const router = new Router<ConsoleState>()
  router.get('/system/inbox', requireOperator, async (ctx) => {
    ctx.body = (await inboxFigures(dataSource.manager)) satisfies InboxFigures
  })

  router.get('/system/dead-letters', requireOperator, async (ctx) => {
    const { before } = parseQuery(ctx.query, pageQuery, 'before must be an id')
    ctx.body = (await deadLetters(dataSource.manager, before)) satisfies DeadLetterPage
  })

  router.post('/system/dead-letters/replay', requireOperator, async (ctx) => {
    const replayed = (await replay(dataSource, ctx.state.viewer))!
    ctx.body = { replayed } satisfies ReplayResult
  })

  router.post('/system/dead-letters/:id/replay', requireOperator, async (ctx) => {
    const { id } = parseParams(ctx, idPath)
    const replayed = await replay(dataSource, ctx.state.viewer, id)
    if (replayed === null) throw notFound('No such inbox event')
    ctx.body = { replayed } satisfies ReplayResult
  })

  router.get('/system/syncs', requireOperator, async (ctx) => {
    const { running, recent } = await syncRuns(dataSource.manager)
    ctx.body = { running: running && presentSyncRun(running), recent: recent.map(presentSyncRun) } satisfies SyncOverview
  })

  router.post('/system/syncs', requireOperator, async (ctx) => {
    const start = await startConsoleSync(dataSource, wecom.client, ctx.state.viewer, logger)
    const run = (await syncRun(dataSource.manager, start.run.id)) ?? Object.assign(start.run, { actor: null })
    ctx.status = start.started ? 202 : 200
    ctx.body = { started: start.started, sync: presentSyncRun(run) } satisfies SyncStartResult
  })

  router.get('/activity', requireOperator, async (ctx) => {
    const filter = parseQuery(ctx.query, activityQuery, 'member must be a userid, action an action name, before an id')
    ctx.body = (await activityLog(dataSource.manager, filter)) satisfies ActivityPage
  })

  return router
}
