import { In, IsNull, type DataSource, type EntityManager } from 'typeorm'
import type { ChannelPlatform } from '../api/contract'
import { recordActivity } from '../console/activity'
import { isManagedGroup } from '../console/tags'
import { Channel, ChannelMember, ChannelTag, MediaAsset, Member, MEMBER_STATUS, Tag, TagGroup, type WelcomeLink } from '../entities'
import { AppError, conflict, notFound, validationFailed } from '../errors'
import type { Logger } from '../logger'
import { newOwner } from '../processIdentity'
import { WecomCode } from '../wecom/apiTypes'
import type { WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'
import { CHANNEL_CLAIM_MS, finishCreating, newChannelState, wecomUnanswered } from './contactWays'

/** WeCom takes at most 100 members on a way after departments are expanded (41041). */
export const CHANNEL_MEMBERS_MAX = 100

/** A channel's welcome: text with {{客户昵称}} / {{导购姓名}}, optionally a link card or an image. */
export interface WelcomeContent {
  text: string | null
  link: WelcomeLink | null
  imageId: number | null
}

/** What an operator says a channel is (the console's form). */
export interface ChannelInput {
  name: string
  platform: ChannelPlatform
  /** Userids of the members the QR code adds customers to. */
  members: string[]
  skipVerify: boolean
  /** Our tag ids, marked on every arrival. */
  tagIds: number[]
  welcome: WelcomeContent
  note: string
}

export interface ChannelContext {
  dataSource: DataSource
  client: WecomClient
  logger: Logger
  actorMemberId: number
}

/** A channel as the console lists it. */
export type ChannelListing = Channel & {
  members: { userid: string; name: string }[]
  tags: { id: number; name: string; group: string }[]
  image: { id: number; fileName: string } | null
}

/** Every channel not deleted, newest first, with its members, tags and welcome image. */
export async function listChannels(manager: EntityManager, only?: { id: number }): Promise<ChannelListing[]> {
  const channels = await manager.find(Channel, { where: { deletedAt: IsNull(), ...(only ? { id: only.id } : {}) }, order: { id: 'DESC' } })
  if (channels.length === 0) return []
  const ids = channels.map((c) => c.id)
  const [members, tags, images] = await Promise.all([
    manager
      .createQueryBuilder(ChannelMember, 'cm')
      .innerJoin(Member, 'm', 'm.id = cm.member_id')
      .select(['cm.channel_id AS channel_id', 'm.userid AS userid', 'm.name AS name'])
      .where('cm.channel_id IN (:...ids)', { ids })
      .orderBy('m.userid')
      .getRawMany<{ channel_id: number; userid: string; name: string }>(),
    manager
      .createQueryBuilder(ChannelTag, 'ct')
      .innerJoin(Tag, 't', 't.id = ct.tag_id')
      .innerJoin(TagGroup, 'g', 'g.id = t.group_id')
      .select(['ct.channel_id AS channel_id', 't.id AS id', 't.name AS name', 'g.name AS group_name'])
      .where('ct.channel_id IN (:...ids)', { ids })
      .orderBy('t.id')
      .getRawMany<{ channel_id: number; id: number; name: string; group_name: string }>(),
    manager.find(MediaAsset, { where: { id: In(channels.flatMap((c) => (c.welcomeImageId === null ? [] : [c.welcomeImageId]))) }, select: { id: true, fileName: true } }),
  ])
  return channels.map((channel) => ({
    ...channel,
    members: members.filter((m) => Number(m.channel_id) === channel.id).map(({ userid, name }) => ({ userid, name })),
    tags: tags.filter((t) => Number(t.channel_id) === channel.id).map((t) => ({ id: Number(t.id), name: t.name, group: t.group_name })),
    image: images.find((i) => i.id === channel.welcomeImageId) ?? null,
  }))
}

async function listed(manager: EntityManager, id: number): Promise<ChannelListing> {
  const [channel] = await listChannels(manager, { id })
  if (!channel) throw notFound('No such channel')
  return channel
}

/** The input's members, tags and image as rows, or a validation error naming what is wrong; nothing is written. */
async function resolveInput(manager: EntityManager, input: ChannelInput) {
  const userids = [...new Set(input.members)]
  if (userids.length === 0) throw validationFailed('Pick at least one member for the QR code')
  if (userids.length > CHANNEL_MEMBERS_MAX) throw validationFailed(`A QR code takes at most ${CHANNEL_MEMBERS_MAX} members`)
  const members = await manager.findBy(Member, { userid: In(userids) })
  const usable = members.filter((m) => m.status === MEMBER_STATUS.active && m.isFollowUser)
  const unusable = userids.filter((u) => !usable.some((m) => m.userid === u))
  if (unusable.length > 0) throw validationFailed(`These members cannot take customers (not active, or without 客户联系): ${unusable.join(', ')}`)

  const tagIds = [...new Set(input.tagIds)]
  const tags = tagIds.length === 0 ? [] : await manager.createQueryBuilder(Tag, 't').innerJoinAndMapOne('t.group', TagGroup, 'g', 'g.id = t.group_id').where('t.id IN (:...tagIds)', { tagIds }).getMany()
  if (tags.length !== tagIds.length) throw validationFailed('A tag to mark is no longer there; reload the page')
  if (tags.some((t) => isManagedGroup((t as Tag & { group: TagGroup }).group.name))) throw validationFailed('The 客户价值 tags are kept by the segments job; a channel does not mark them')

  await checkWelcomeImage(manager, input.welcome.imageId)
  return { members: usable, tagIds }
}

/** A welcome's image must still be there (it may have been replaced since the form was opened). */
export async function checkWelcomeImage(manager: EntityManager, imageId: number | null): Promise<void> {
  if (imageId !== null && !(await manager.existsBy(MediaAsset, { id: imageId }))) throw validationFailed('The welcome image is no longer there; upload it again')
}

/**
 * Creates a channel and its 「联系我」 way in WeCom, exactly once (server/channels/contactWays.ts).
 * `requestKey` names this 保存: sent again (the answer was lost), it finds the channel the
 * first one made, finishing it if need be, instead of making a second.
 */
export async function createChannel(context: ChannelContext, input: ChannelInput, requestKey: string): Promise<ChannelListing> {
  const { dataSource, client, logger, actorMemberId } = context
  const again = await dataSource.getRepository(Channel).findOneBy({ requestKey })
  if (again) return again.wecomStatus === 'creating' ? finishLogged(context, again.id) : listed(dataSource.manager, again.id)
  const owner = newOwner()
  const id = await dataSource.transaction(async (tx) => {
    const { members, tagIds } = await resolveInput(tx, input)
    const now = new Date()
    const { identifiers } = await tx.insert(Channel, {
      name: input.name,
      platform: input.platform,
      state: newChannelState(),
      skipVerify: input.skipVerify,
      welcomeText: input.welcome.text,
      welcomeLink: input.welcome.link,
      welcomeImageId: input.welcome.imageId,
      note: input.note,
      wecomStatus: 'creating',
      configId: null,
      qrCode: null,
      claimedBy: owner,
      leaseUntil: new Date(now.getTime() + CHANNEL_CLAIM_MS),
      requestKey,
      createdByMemberId: actorMemberId,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    })
    const channelId = Number(identifiers[0]!.id)
    await tx.insert(ChannelMember, members.map((m) => ({ channelId, memberId: m.id })))
    if (tagIds.length > 0) await tx.insert(ChannelTag, tagIds.map((tagId) => ({ channelId, tagId })))
    return channelId
  })
  return finishLogged(context, id, { owner, firstAttempt: true })
}

/** Finishes a 'creating' channel, logged as created once WeCom made it (a refusal leaves no channel, and nothing in the log). */
async function finishLogged(context: ChannelContext, id: number, claim: { owner?: string; firstAttempt?: boolean } = {}): Promise<ChannelListing> {
  const { dataSource, client, logger, actorMemberId } = context
  await finishCreating(dataSource, client, id, { logger, ...claim })
  const made = await listed(dataSource.manager, id)
  await recordActivity(dataSource.manager, { actorMemberId, action: 'channel_created', detail: { channelId: id, name: made.name, platform: made.platform, members: made.members.map((m) => m.userid) } })
  return made
}

/** 重试: finishes a channel whose creation got no answer from WeCom. */
export async function retryChannel(context: ChannelContext, id: number): Promise<ChannelListing> {
  const channel = await liveChannel(context.dataSource.manager, id)
  return channel.wecomStatus === 'creating' ? finishLogged(context, id) : listed(context.dataSource.manager, id)
}

async function liveChannel(manager: EntityManager, id: number): Promise<Channel> {
  const channel = await manager.findOneBy(Channel, { id, deletedAt: IsNull() })
  if (!channel) throw notFound('No such channel')
  return channel
}

const askWecom = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call()
  } catch (error) {
    if (error instanceof WecomApiError) throw error.code < 0 ? wecomUnanswered(error.message) : new AppError('wecom_refused', `WeCom refused the change (${error.code})`)
    throw error
  }
}

/**
 * Edits a channel: what WeCom keeps (its members, 免验证, the name as the way's remark) in
 * WeCom first with update_contact_way, then everything here. A refusal changes nothing.
 */
export async function updateChannel(context: ChannelContext, id: number, input: ChannelInput): Promise<ChannelListing> {
  const { dataSource, client, actorMemberId } = context
  const channel = await liveChannel(dataSource.manager, id)
  if (channel.wecomStatus === 'creating') throw conflict('This channel is still being created: 重试 it first')
  const { members, tagIds } = await resolveInput(dataSource.manager, input)
  const before = await listed(dataSource.manager, id)
  const userids = members.map((m) => m.userid).sort()
  const wayChanged = before.members.map((m) => m.userid).join() !== userids.join() || before.skipVerify !== input.skipVerify || before.name !== input.name
  if (wayChanged && channel.configId && channel.wecomStatus === 'active') {
    await askWecom(() => client.call('updateContactWay', { body: { config_id: channel.configId!, remark: input.name.slice(0, 30), skip_verify: input.skipVerify, user: userids } }))
  }
  await dataSource.transaction(async (tx) => {
    await tx.update(Channel, { id }, { name: input.name, platform: input.platform, skipVerify: input.skipVerify, welcomeText: input.welcome.text, welcomeLink: input.welcome.link, welcomeImageId: input.welcome.imageId, note: input.note, updatedAt: new Date() })
    await tx.delete(ChannelMember, { channelId: id })
    await tx.insert(ChannelMember, members.map((m) => ({ channelId: id, memberId: m.id })))
    await tx.delete(ChannelTag, { channelId: id })
    if (tagIds.length > 0) await tx.insert(ChannelTag, tagIds.map((tagId) => ({ channelId: id, tagId })))
    await recordActivity(tx, { actorMemberId, action: 'channel_updated', detail: { channelId: id, name: input.name } })
  })
  return listed(dataSource.manager, id)
}

/**
 * Deletes a channel: its way in WeCom first (del_contact_way; one WeCom no longer has is
 * gone already), then here, where its row stays (deleted) so that its state is never given
 * to another channel and the customers it brought keep their attribution.
 */
export async function deleteChannel(context: ChannelContext, id: number): Promise<void> {
  const { dataSource, client, actorMemberId } = context
  const channel = await liveChannel(dataSource.manager, id)
  if (channel.wecomStatus === 'creating') throw conflict('This channel is still being created: 重试 it first, then delete it')
  if (channel.configId && channel.wecomStatus === 'active') {
    const alreadyGone = (error: unknown) => {
      if (!(error instanceof WecomApiError && error.code === WecomCode.contactWayUnknown)) throw error
    }
    await askWecom(() => client.call('delContactWay', { body: { config_id: channel.configId! } }).then(() => {}, alreadyGone))
  }
  await dataSource.transaction(async (tx) => {
    await tx.update(Channel, { id }, { deletedAt: new Date(), updatedAt: new Date() })
    await recordActivity(tx, { actorMemberId, action: 'channel_deleted', detail: { channelId: id, name: channel.name } })
  })
}
