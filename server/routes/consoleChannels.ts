import Router from '@koa/router'
import axios from 'axios'
import getRawBody from 'raw-body'
import { IsNull } from 'typeorm'
import { z } from 'zod'
import { CHANNEL_PLATFORMS, FIGURES_MAX_DAYS, WELCOME_LIMITS, WELCOME_VARIABLES } from '../api/contract'
import { CHANNEL_MEMBERS_MAX, checkWelcomeImage, createChannel, deleteChannel, listChannels, retryChannel, updateChannel, type ChannelContext, type ChannelInput } from '../channels/channels'
import { readDefaultWelcome, saveDefaultWelcome } from '../channels/defaultWelcome'
import { IMAGE_MAX_BYTES, imageBytes, saveWelcomeImage } from '../channels/media'
import { recordActivity } from '../console/activity'
import { isManagedGroup, listTagGroups } from '../console/tags'
import { Channel, Member, MEMBER_STATUS } from '../entities'
import { AppError, badRequest, notFound, payloadTooLarge, validationFailed } from '../errors'
import { parseBody } from '../http/body'
import { idParam, parseParams, useridParam } from '../http/params'
import { channelStatsCsv, presentChannel, presentChannels, presentChannelStats, presentWelcome } from '../presenters/consoleChannels'
import { channelStats } from '../channels/figures'
import { addDays, businessDate } from '../time'
import { WecomApiError } from '../wecom/errors'
import { requireOperator, type ConsoleRouteOptions, type ConsoleState } from './consolePage'

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8')
const httpUrl = z.string().trim().max(2048).regex(/^https?:\/\/\S+$/, 'must be an http(s) address')

const welcomeText = z
  .string()
  .trim()
  .max(WELCOME_LIMITS.text)
  .refine((text) => [...text.matchAll(/\{\{([^{}]*)\}\}/g)].every(([, name]) => (WELCOME_VARIABLES as readonly string[]).includes(name!)), `may use only ${WELCOME_VARIABLES.map((v) => `{{${v}}}`).join(' and ')}`)
  .transform((text) => text || null)
const welcome = z
  .object({
    text: welcomeText.nullable(),
    link: z
      .object({
        title: z.string().trim().min(1).refine((t) => byteLength(t) <= WELCOME_LIMITS.linkTitleBytes, `is at most ${WELCOME_LIMITS.linkTitleBytes} bytes`),
        url: httpUrl,
        desc: z.string().trim().refine((t) => byteLength(t) <= WELCOME_LIMITS.linkDescBytes, `is at most ${WELCOME_LIMITS.linkDescBytes} bytes`).optional(),
        picurl: httpUrl.optional(),
      })
      .nullable(),
    imageId: z.number().int().positive().nullable(),
  })
  .refine((w) => !(w.link && w.imageId), 'a welcome carries a link or an image, not both')
const channelRequest = z.object({
  name: z.string().trim().min(1).max(64),
  platform: z.enum(CHANNEL_PLATFORMS),
  members: z.array(useridParam).min(1).max(CHANNEL_MEMBERS_MAX),
  skipVerify: z.boolean(),
  tagIds: z.array(z.number().int().positive()).max(50),
  welcome,
  note: z.string().trim().max(255).default(''),
  requestKey: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8–64 letters, digits, _ or -').optional(),
})
const channelPath = z.object({ id: idParam })
const statsQuery = z.object({ from: z.iso.date().optional(), to: z.iso.date().optional() })
/** The figures' range when none is asked for: the last 30 days, today included. */
const DEFAULT_FIGURE_DAYS = 30

const asInput = (request: z.infer<typeof channelRequest>): ChannelInput => ({
  name: request.name,
  platform: request.platform,
  members: request.members,
  skipVerify: request.skipVerify,
  tagIds: request.tagIds,
  welcome: { text: request.welcome.text, link: request.welcome.link, imageId: request.welcome.imageId },
  note: request.note,
})

/** A file name for Content-Disposition: UTF-8 as RFC 5987 says, with a plain ASCII fallback. */
const attachment = (name: string) => `attachment; filename="qrcode.png"; filename*=UTF-8''${encodeURIComponent(name)}`

/**
 * 渠道活码 (SPEC §4.8), for operators: channels and their 「联系我」 QR codes (WeCom first,
 * created exactly once), their welcomes and the images those carry, and the company's
 * default welcome for adds through no channel.
 */
export function consoleChannelRoutes({ config, dataSource, wecom, logger }: ConsoleRouteOptions): Router<ConsoleState> {
  const router = new Router<ConsoleState>()
  router.use(['/channels', '/media', '/welcome'], requireOperator)
  const contextOf = (actorMemberId: number): ChannelContext => ({ dataSource, client: wecom.client, logger, actorMemberId })

  router.get('/channels', async (ctx) => {
    const [channels, members, groups, defaultWelcome] = await Promise.all([
      listChannels(dataSource.manager),
      dataSource.getRepository(Member).find({ where: { status: MEMBER_STATUS.active, isFollowUser: true }, order: { userid: 'ASC' } }),
      listTagGroups(dataSource.manager),
      readDefaultWelcome(dataSource.manager),
    ])
    ctx.body = presentChannels({
      channels,
      platforms: CHANNEL_PLATFORMS,
      members,
      tagGroups: groups.filter((g) => !isManagedGroup(g.name)).map((g) => ({ name: g.name, tags: g.tags })),
      defaultWelcome: presentWelcome(defaultWelcome, defaultWelcome.image),
    })
  })

  // Before /channels/:id: 'stats' is no id.
  const statsOf = async (ctx: { query: Record<string, unknown> }) => {
    const parsed = statsQuery.safeParse(ctx.query)
    if (!parsed.success) throw validationFailed(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '))
    const today = businessDate(new Date(), config.timezone)
    const to = parsed.data.to ?? today
    const from = parsed.data.from ?? addDays(to, 1 - DEFAULT_FIGURE_DAYS)
    if (from > to) throw validationFailed('from must not be after to')
    if (addDays(from, FIGURES_MAX_DAYS) <= to) throw validationFailed(`A range is at most ${FIGURES_MAX_DAYS} days`)
    return presentChannelStats(await channelStats(dataSource.manager, { from, to, timeZone: config.timezone }))
  }
  router.get('/channels/stats', async (ctx) => {
    ctx.body = await statsOf(ctx)
  })
  router.get('/channels/stats.csv', async (ctx) => {
    const stats = await statsOf(ctx)
    ctx.type = 'text/csv; charset=utf-8'
    ctx.set('Content-Disposition', `attachment; filename="channels.csv"; filename*=UTF-8''${encodeURIComponent(`渠道数据_${stats.from}_${stats.to}.csv`)}`)
    ctx.body = channelStatsCsv(stats)
  })

  router.post('/channels', async (ctx) => {
    const request = await parseBody(ctx, channelRequest)
    const made = await createChannel(contextOf(ctx.state.viewer.id), asInput(request), request.requestKey ?? crypto.randomUUID())
    ctx.status = 201
    ctx.body = presentChannel(made)
  })

  router.put('/channels/:id', async (ctx) => {
    const { id } = parseParams(ctx, channelPath)
    const request = await parseBody(ctx, channelRequest)
    ctx.body = presentChannel(await updateChannel(contextOf(ctx.state.viewer.id), id, asInput(request)))
  })

  router.post('/channels/:id/retry', async (ctx) => {
    const { id } = parseParams(ctx, channelPath)
    ctx.body = presentChannel(await retryChannel(contextOf(ctx.state.viewer.id), id))
  })

  router.delete('/channels/:id', async (ctx) => {
    const { id } = parseParams(ctx, channelPath)
    await deleteChannel(contextOf(ctx.state.viewer.id), id)
    ctx.status = 204
  })

  // The QR code image, from WeCom's address through us: the page loads images from itself only, and a download needs the same origin.
  router.get('/channels/:id/qr', async (ctx) => {
    const { id } = parseParams(ctx, channelPath)
    const channel = await dataSource.getRepository(Channel).findOneBy({ id, deletedAt: IsNull() })
    if (!channel?.qrCode) throw notFound('This channel has no QR code yet')
    let image: { data: ArrayBuffer; headers: Record<string, unknown> }
    try {
      image = await axios.get(channel.qrCode, { responseType: 'arraybuffer', timeout: 5_000, maxContentLength: IMAGE_MAX_BYTES })
    } catch (error) {
      logger.warn({ channelId: id, err: (error as Error).message }, 'could not read a channel QR code from WeCom')
      throw new AppError('wecom_refused', 'WeCom did not give the QR code image; try again')
    }
    ctx.type = String(image.headers['content-type'] ?? 'image/png')
    ctx.set('Cache-Control', 'private, max-age=3600')
    if (ctx.query.download !== undefined) ctx.set('Content-Disposition', attachment(`${channel.name}-二维码.png`))
    ctx.body = Buffer.from(image.data)
  })

  // A welcome image: the file's bytes as the body, its name in X-File-Name (URI-encoded).
  router.post('/media', async (ctx) => {
    let bytes: Buffer
    try {
      bytes = await getRawBody(ctx.req, { limit: IMAGE_MAX_BYTES, length: ctx.get('content-length') || undefined })
    } catch (error) {
      if ((error as { type?: string }).type === 'entity.too.large') throw payloadTooLarge(`A welcome image is at most ${IMAGE_MAX_BYTES / 1024 / 1024} MB`)
      throw badRequest('The image could not be read')
    }
    let fileName = 'image'
    try {
      fileName = decodeURIComponent(ctx.get('x-file-name') || 'image')
    } catch {
      throw validationFailed('X-File-Name must be URI-encoded')
    }
    try {
      const asset = await saveWelcomeImage(dataSource, wecom.client, { fileName, bytes })
      await recordActivity(dataSource.manager, { actorMemberId: ctx.state.viewer.id, action: 'welcome_image_uploaded', detail: { mediaAssetId: asset.id, fileName: asset.fileName } })
      ctx.status = 201
      ctx.body = { id: asset.id, fileName: asset.fileName }
    } catch (error) {
      if (error instanceof WecomApiError) throw new AppError('wecom_refused', `WeCom refused the image (${error.code})`)
      throw error
    }
  })

  router.get('/media/:id', async (ctx) => {
    const { id } = parseParams(ctx, channelPath)
    const image = await imageBytes(dataSource, id)
    if (!image) throw notFound('No such image')
    ctx.type = image.contentType
    ctx.set('Cache-Control', 'private, max-age=86400')
    ctx.body = image.bytes
  })

  router.put('/welcome', async (ctx) => {
    const request = await parseBody(ctx, welcome)
    await checkWelcomeImage(dataSource.manager, request.imageId)
    await dataSource.transaction(async (tx) => {
      await saveDefaultWelcome(tx, { text: request.text, link: request.link, imageId: request.imageId }, ctx.state.viewer.id)
      await recordActivity(tx, { actorMemberId: ctx.state.viewer.id, action: 'default_welcome_changed', detail: { text: request.text !== null, link: request.link !== null, image: request.imageId !== null } })
    })
    const saved = await readDefaultWelcome(dataSource.manager)
    ctx.body = presentWelcome(saved, saved.image)
  })

  return router
}
