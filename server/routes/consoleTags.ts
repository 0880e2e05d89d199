import Router from '@koa/router'
import { z } from 'zod'
import { NEW_TAG_GROUP_MAX_TAGS } from '../api/contract'
import { addTag, corpTagName, createTagGroup, deleteTag, deleteTagGroup, listTagGroups, renameTag, renameTagGroup, type TagChangeContext } from '../console/tags'
import { parseBody } from '../http/body'
import { idParam, parseParams } from '../http/params'
import { presentTagDeletion, presentTagGroup, presentTagList } from '../presenters/consoleTags'
import { requireOperator, type ConsoleRouteOptions, type ConsoleState } from './consolePage'

const groupPath = z.object({ groupId: idParam })
const tagPath = z.object({ tagId: idParam })
const nameRequest = z.object({ name: corpTagName })
const newGroupRequest = z.object({
  name: corpTagName,
  tags: z.array(corpTagName).min(1, 'a tag group needs at least one tag').max(NEW_TAG_GROUP_MAX_TAGS, `at most ${NEW_TAG_GROUP_MAX_TAGS} tags at once`),
})

/**
 * 标签 (SPEC §3.5, §4.6), for operators: corp tag groups and tags, each change written to
 * WeCom first and then mirrored from what WeCom answered; a WeCom refusal changes nothing here.
 */
export function consoleTagRoutes({ dataSource, wecom, logger }: ConsoleRouteOptions): Router<ConsoleState> {
  const router = new Router<ConsoleState>()
  const change = (actorMemberId: number): TagChangeContext => ({ dataSource, client: wecom.client, logger, actorMemberId })

  router.get('/tags', requireOperator, async (ctx) => {
    ctx.body = presentTagList(await listTagGroups(dataSource.manager))
  })

  router.post('/tags/groups', requireOperator, async (ctx) => {
    const input = await parseBody(ctx, newGroupRequest)
    ctx.status = 201
    ctx.body = presentTagGroup(await createTagGroup(change(ctx.state.viewer.id), input))
  })

  router.patch('/tags/groups/:groupId', requireOperator, async (ctx) => {
    const { groupId } = parseParams(ctx, groupPath)
    const { name } = await parseBody(ctx, nameRequest)
    ctx.body = presentTagGroup(await renameTagGroup(change(ctx.state.viewer.id), groupId, name))
  })

  router.delete('/tags/groups/:groupId', requireOperator, async (ctx) => {
    const { groupId } = parseParams(ctx, groupPath)
    await deleteTagGroup(change(ctx.state.viewer.id), groupId)
    ctx.status = 204
  })

  router.post('/tags/groups/:groupId/tags', requireOperator, async (ctx) => {
    const { groupId } = parseParams(ctx, groupPath)
    const { name } = await parseBody(ctx, nameRequest)
    ctx.status = 201
    ctx.body = presentTagGroup(await addTag(change(ctx.state.viewer.id), groupId, name))
  })

  router.patch('/tags/:tagId', requireOperator, async (ctx) => {
    const { tagId } = parseParams(ctx, tagPath)
    const { name } = await parseBody(ctx, nameRequest)
    ctx.body = presentTagGroup(await renameTag(change(ctx.state.viewer.id), tagId, name))
  })

  router.delete('/tags/:tagId', requireOperator, async (ctx) => {
    const { tagId } = parseParams(ctx, tagPath)
    ctx.body = presentTagDeletion(await deleteTag(change(ctx.state.viewer.id), tagId))
  })

  return router
}
