import { Counter, Histogram } from 'prom-client'
import { In, IsNull, type DataSource, type EntityManager } from 'typeorm'
import { Channel, Customer, DefaultWelcome, MediaAsset, Member, WelcomeSend, type WelcomeLink, type WelcomeOutcome } from '../entities'
import type { Logger } from '../logger'
import { metricsRegistry } from '../metrics'
import { WecomCode, type WelcomeAttachment } from '../wecom/apiTypes'
import type { WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'

/**
 * A new customer's welcome (SPEC §4.8, wecom-protocol.md §3.10): WeCom's code works once,
 * for 20 s from the add event; a welcome past that is never sent (counted as missed).
 */
export const WELCOME_WINDOW_MS = 20_000
/** A media id lasts 3 days; one older than this is uploaded again before it is used. */
export const MEDIA_FRESH_MS = 2.5 * 86_400_000
/** What a send keeps in hand of its window for the network: a send that cannot finish in it is not started. */
const SEND_MARGIN_MS = 300
/** 41096 (another send in flight) and no answer are tried again once, if this much of the window is left. */
const RETRY_NEEDS_MS = 2_000

const welcomes = new Counter({ name: 'welcomes_total', help: 'Welcome messages by outcome (sent, missed past the 20 s window, taken by another app, …)', labelNames: ['outcome'] as const, registers: [metricsRegistry] })
const welcomeLatency = new Histogram({
  name: 'welcome_latency_seconds',
  help: 'From the add event (its CreateTime) to WeCom accepting the welcome',
  buckets: [0.25, 0.5, 1, 2, 5, 10, 15, 20],
  registers: [metricsRegistry],
})

/** A welcome to send: the text (variables not yet filled) and at most one attachment. */
interface WelcomePlan {
  channelId: number | null
  text: string | null
  link: WelcomeLink | null
  imageId: number | null
}

/** The channel's welcome for an add with `state`, else the company's default; null when there is nothing to send. */
async function planFor(manager: EntityManager, state: string | undefined): Promise<WelcomePlan | null> {
  const channel = state ? await manager.findOneBy(Channel, { state, deletedAt: IsNull() }) : null
  const source = channel ?? (await manager.findOneBy(DefaultWelcome, { id: 1 }))
  if (!source || (!source.welcomeText && !source.welcomeLink && source.welcomeImageId === null)) return null
  return { channelId: channel?.id ?? null, text: source.welcomeText, link: source.welcomeLink, imageId: source.welcomeImageId }
}

/** The text with its variables filled (a name WeCom does not give is left out, never sent in braces). */
export function fillWelcome(text: string, names: { 客户昵称: string; 导购姓名: string }): string {
  return text.replace(/\{\{(客户昵称|导购姓名)\}\}/g, (_, name: keyof typeof names) => names[name])
}

/**
 * The image's media id in WeCom, uploaded again when it is about to expire (a 3-day id; the
 * nightly refresh keeps it fresh, so this upload is the exception).
 */
export async function freshMediaId(dataSource: DataSource, client: WecomClient, imageId: number, { timeoutMs, maxAgeMs = MEDIA_FRESH_MS }: { timeoutMs?: number; maxAgeMs?: number } = {}): Promise<string> {
  const assets = dataSource.getRepository(MediaAsset)
  const asset = await assets.findOneByOrFail({ id: imageId })
  if (asset.mediaId && asset.uploadedAt && Date.now() - asset.uploadedAt.getTime() < maxAgeMs) return asset.mediaId
  const { contentBase64 } = await assets.findOneOrFail({ where: { id: imageId }, select: { id: true, contentBase64: true } })
  const form = new FormData()
  form.append('media', new Blob([Buffer.from(contentBase64, 'base64')], { type: asset.contentType }), asset.fileName)
  const uploaded = await client.call('uploadMedia', { query: { type: 'image' }, body: form }, { timeoutMs, maxWaitMs: timeoutMs })
  await assets.update({ id: imageId }, { mediaId: uploaded.media_id, uploadedAt: new Date() })
  return uploaded.media_id
}

/** The customer's WeCom name: ours if we have them, else WeCom's (within the time left); '' when neither answers in time. */
async function customerName(dataSource: DataSource, client: WecomClient, externalUserid: string, timeoutMs: number): Promise<string> {
  const known = await dataSource.getRepository(Customer).findOne({ where: { externalUserid }, select: { id: true, name: true } })
  if (known) return known.name
  try {
    return (await client.call('getCustomer', { query: { external_userid: externalUserid } }, { timeoutMs, maxWaitMs: timeoutMs })).external_contact.name
  } catch {
    return ''
  }
}

/**
 * The welcome a customer's agreement to the chat-archive notice lets us send at last: that of
 * the relation's latest welcome WeCom held back for the agreement (41053), unless one was sent
 * since. Its channel's, by the channel's state (a channel deleted meanwhile gives the default
 * welcome), or the default. Null when nothing waits: a relation is welcomed once.
 */
export async function welcomeAwaitingConsent(manager: EntityManager, relation: { userid: string; externalUserid: string }): Promise<{ state: string | undefined } | null> {
  const sends = manager.getRepository(WelcomeSend)
  const [latest] = await sends.find({ where: { ...relation, outcome: In(['awaiting_consent', 'sent']) }, order: { id: 'DESC' }, take: 1 })
  if (latest?.outcome !== 'awaiting_consent') return null
  if (latest.channelId === null) return { state: undefined }
  const channel = await manager.findOne(Channel, { where: { id: latest.channelId }, select: { id: true, state: true } })
  return { state: channel?.state }
}

export interface WelcomeEvent {
  eventId: number
  userId: string
  externalUserId: string
  state?: string
  welcomeCode: string
  /** WeCom's CreateTime, in seconds: a resent event keeps it, so the window is counted from the first push. */
  createTime: number
}

/**
 * Sends the welcome of one add event, once: inside its window, before anything else about
 * the customer (the mirror waits; it does not). The outcome is recorded by the event, so a
 * second handling of the event sends nothing. 41051 (already chatting, or another app sent
 * it) is final; 41096 and no answer are tried once more while the window allows.
 */
export async function sendWelcome(dataSource: DataSource, client: WecomClient, logger: Logger, event: WelcomeEvent, now = () => Date.now()): Promise<WelcomeOutcome> {
  const eventAt = event.createTime * 1000
  const deadline = eventAt + WELCOME_WINDOW_MS
  const sends = dataSource.getRepository(WelcomeSend)
  const decided = await sends.findOneBy({ inboxEventId: event.eventId })
  if (decided) return decided.outcome

  let channelId: number | null = null
  let code: number | null = null
  const outcome = await (async (): Promise<WelcomeOutcome> => {
    if (now() + SEND_MARGIN_MS >= deadline) return 'missed'
    const plan = await planFor(dataSource.manager, event.state)
    if (!plan) return 'none'
    channelId = plan.channelId
    const left = () => deadline - SEND_MARGIN_MS - now()
    const [member, nickname] = await Promise.all([
      dataSource.getRepository(Member).findOne({ where: { userid: event.userId }, select: { id: true, name: true } }),
      plan.text?.includes('{{客户昵称}}') ? customerName(dataSource, client, event.externalUserId, Math.min(left(), 3_000)) : '',
    ])
    const attachments: WelcomeAttachment[] = []
    if (plan.link) attachments.push({ msgtype: 'link', link: plan.link })
    if (plan.imageId !== null) attachments.push({ msgtype: 'image', image: { media_id: await freshMediaId(dataSource, client, plan.imageId, { timeoutMs: Math.max(left(), 1) }) } })
    const text = plan.text ? fillWelcome(plan.text, { 客户昵称: nickname, 导购姓名: member?.name ?? '' }).trim() : ''
    const body = { welcome_code: event.welcomeCode, ...(text ? { text: { content: text } } : {}), ...(attachments.length > 0 ? { attachments } : {}) }
    for (let tries = 1; ; tries++) {
      if (left() <= 0) return 'missed'
      try {
        await client.call('sendWelcome', { body }, { timeoutMs: left(), maxWaitMs: left() })
        welcomeLatency.observe((now() - eventAt) / 1000)
        return 'sent'
      } catch (error) {
        if (!(error instanceof WecomApiError)) throw error
        code = error.code
        if (code === WecomCode.welcomeTaken) return 'taken'
        if (code === WecomCode.welcomeAwaitsConsent) return 'awaiting_consent'
        if (code === WecomCode.welcomeCodeInvalid) return now() >= deadline ? 'missed' : 'expired'
        const retriable = code === WecomCode.welcomeInFlight || code < 0
        if (!retriable || tries >= 2 || left() < RETRY_NEEDS_MS) {
          logger.warn({ eventId: event.eventId, code, err: error.message }, 'welcome not sent')
          return 'failed'
        }
      }
    }
  })()

  await dataSource
    .createQueryBuilder()
    .insert()
    .into(WelcomeSend)
    .values({ inboxEventId: event.eventId, userid: event.userId, externalUserid: event.externalUserId, channelId, outcome, wecomCode: code, eventAt: new Date(eventAt), deadlineAt: new Date(deadline), finishedAt: new Date(now()) })
    .orIgnore()
    .execute()
  welcomes.inc({ outcome })
  return outcome
}
