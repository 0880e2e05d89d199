import Router from '@koa/router'
import type { DataSource } from 'typeorm'
import { z } from 'zod'
import { createScript, deleteScript, importScriptFile, SCRIPT_LIST_LIMIT, scriptLibrary, updateScript } from '../console/scripts'
import { badRequest } from '../errors'
import { parseBody } from '../http/body'
import { idParam, parseParams } from '../http/params'
import { presentImportResult, presentScript, presentScriptLibrary } from '../presenters/consoleScripts'
import { requireOperator, type ConsoleState } from './consolePage'

/** An uploaded CSV, as JSON text: 2 MB holds hundreds of the longest scripts (a CSV record may be 1 MB). */
const IMPORT_LIMIT = 2 * 1024 * 1024

const libraryQuery = z.object({ q: z.string().max(100).optional(), category: idParam.optional() })
const scriptPath = z.object({ id: idParam })
// Lengths and variables are the importer's rules (scriptProblem); these bounds only keep a body sane.
const scriptBody = z
  .object({
    category: z.string().max(1000),
    title: z.string().max(1000),
    content: z.string().max(20_000),
    tags: z.array(z.string().max(1000)).max(50),
  })
  .strict()
const importBody = z.object({ csv: z.string() }).strict()

/** 话术库 (SPEC §3.5, §4.6): the script library, for operators. */
export function consoleScriptsRoutes({ dataSource }: { dataSource: DataSource }): Router<ConsoleState> {
  const router = new Router<ConsoleState>()

  router.get('/scripts', requireOperator, async (ctx) => {
    const parsed = libraryQuery.safeParse(ctx.query)
    if (!parsed.success) throw badRequest('q must be at most 100 characters, category a category id')
    const q = parsed.data.q?.trim() || undefined
    ctx.body = presentScriptLibrary(await scriptLibrary(dataSource.manager, { q, categoryId: parsed.data.category }), SCRIPT_LIST_LIMIT)
  })

  router.post('/scripts', requireOperator, async (ctx) => {
    const input = await parseBody(ctx, scriptBody)
    ctx.status = 201
    ctx.body = presentScript(await createScript(dataSource, ctx.state.viewer, input))
  })

  router.put('/scripts/:id', requireOperator, async (ctx) => {
    const { id } = parseParams(ctx, scriptPath)
    const input = await parseBody(ctx, scriptBody)
    ctx.body = presentScript(await updateScript(dataSource, ctx.state.viewer, id, input))
  })

  router.delete('/scripts/:id', requireOperator, async (ctx) => {
    const { id } = parseParams(ctx, scriptPath)
    await deleteScript(dataSource, ctx.state.viewer, id)
    ctx.status = 204
  })

  router.post('/scripts/import', requireOperator, async (ctx) => {
    const { csv } = await parseBody(ctx, importBody, { limit: IMPORT_LIMIT })
    ctx.body = presentImportResult(await importScriptFile(dataSource, ctx.state.viewer, csv))
  })

  return router
}
