import Router from '@koa/router'
import type { DataSource } from 'typeorm'
import { z } from 'zod'
import type { Config } from '../../config'
import { visibleFollow, type Viewer } from '../customers/access'
import { addFollowUp, recordScriptSend, setTag } from '../customers/actions'
import { loadPanel } from '../customers/panel'
import { memberTodo } from '../customers/todo'
import { readReminderRules } from '../rules/reminderRules'
import { businessDate } from '../time'
import { STAGES } from '../entities'
import { notFound } from '../errors'
import { bindManually } from '../orders/manualBinding'
import { parseBody } from '../http/body'
import { externalUseridParam, idParam, parseParams } from '../http/params'
import { requireSession, type SessionState } from '../auth/requireSession'
import { presentBinding } from '../presenters/binding'
import { presentFollowUp, presentFollowUpSuggestions } from '../presenters/followUp'
import { presentPanel } from '../presenters/panel'
import { presentTagState } from '../presenters/tagState'
import { presentTodo } from '../presenters/todo'
import type { WecomRuntime } from '../wecom/runtime'

const followUpRequest = z.object({
  note: z.string().trim().min(1, 'write what happened').max(2000),
  nextFollowUpOn: z.iso.date().nullable().default(null),
  stage: z.enum(STAGES).nullable().default(null),
})
const customerPath = z.object({ externalUserid: externalUseridParam })
const customerTagPath = z.object({ externalUserid: externalUseridParam, tagId: idParam })
const tagRequest = z.object({ marked: z.boolean() })
const sendRequest = z.object({ scriptId: z.number().int().positive(), edited: z.boolean().default(false) })
const printable = (max: number) => z.string().trim().min(1).max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters')
const bindingRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('order_no'), platform: printable(32).nullable().default(null), value: printable(64) }),
  z.object({ kind: z.literal('buyer_id'), platform: printable(32), value: printable(128) }),
])

/** The sidebar's API: everything behind a session, every customer behind its access rule. */
export function customerRoutes({ config, dataSource, wecom }: { config: Config; dataSource: DataSource; wecom: WecomRuntime }): Router<SessionState> {
  const router = new Router<SessionState>({ prefix: '/api' })
  router.use(requireSession(dataSource))

  const viewerOf = (member: SessionState['member']): Viewer => ({ id: member.id, name: member.name, isOperator: config.adminUserIds.includes(member.userid) })
  /** The follow the signed-in member acts through; the same 404 whether the customer is missing or someone else's. */
  async function followOf(member: SessionState['member'], externalUserid: string) {
    const follow = await visibleFollow(dataSource.manager, viewerOf(member), externalUserid)
    if (!follow) throw notFound('No such customer among yours')
    return { ...follow, externalUserid }
  }

  // One call per panel open (SPEC §4.2).
  router.get('/customers/:externalUserid/panel', async (ctx) => {
    const { externalUserid } = parseParams(ctx, customerPath)
    const panel = await loadPanel(dataSource.manager, viewerOf(ctx.state.member), externalUserid)
    if (!panel) throw notFound('No such customer among yours')
    ctx.body = presentPanel(panel)
  })

  router.put('/customers/:externalUserid/tags/:tagId', async (ctx) => {
    const { externalUserid, tagId } = parseParams(ctx, customerTagPath)
    const { marked } = await parseBody(ctx, tagRequest)
    const follow = await followOf(ctx.state.member, externalUserid)
    await setTag(dataSource, wecom.client, ctx.state.member.id, follow, tagId, marked)
    ctx.body = presentTagState(marked)
  })

  router.post('/customers/:externalUserid/follow-ups', async (ctx) => {
    const { externalUserid } = parseParams(ctx, customerPath)
    const input = await parseBody(ctx, followUpRequest)
    const follow = await followOf(ctx.state.member, externalUserid)
    const saved = await addFollowUp(dataSource, ctx.state.member.id, follow, input, { timeZone: config.timezone })
    ctx.status = 201
    ctx.body = presentFollowUp(saved)
  })

  // Read when the follow-up form is first used, not before the panel shows (SPEC §7: two round trips).
  router.get('/follow-up-rules', async (ctx) => {
    ctx.body = presentFollowUpSuggestions(await readReminderRules(dataSource.manager), businessDate(new Date(), config.timezone))
  })

  router.post('/customers/:externalUserid/script-sends', async (ctx) => {
    const { externalUserid } = parseParams(ctx, customerPath)
    const { scriptId, edited } = await parseBody(ctx, sendRequest)
    const follow = await followOf(ctx.state.member, externalUserid)
    await recordScriptSend(dataSource, ctx.state.member.id, follow, scriptId, edited)
    ctx.status = 204
  })

  router.post('/customers/:externalUserid/bindings', async (ctx) => {
    const { externalUserid } = parseParams(ctx, customerPath)
    const binding = await parseBody(ctx, bindingRequest)
    const follow = await followOf(ctx.state.member, externalUserid)
    ctx.body = presentBinding(await bindManually(dataSource, ctx.state.member.id, follow, binding))
  })

  router.get('/todo', async (ctx) => {
    ctx.body = presentTodo(await memberTodo(dataSource.manager, ctx.state.member.id, config.timezone))
  })

  return router
}
