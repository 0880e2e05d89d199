import { randomBytes } from 'node:crypto'
import { IsNull, type DataSource } from 'typeorm'
import { Channel, ChannelMember, Member } from '../entities'
import { AppError } from '../errors'
import type { Logger } from '../logger'
import { newOwner, ownerIsGone } from '../processIdentity'
import { TransportCode, WecomCode } from '../wecom/apiTypes'
import type { WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'

/**
 * A channel's 「联系我」 way in WeCom (wecom-protocol.md §3.12), made exactly once.
 *
 * The channel row is written first, 'creating' and claimed, with a state no other channel
 * ever had; then add_contact_way is asked; then its config_id and qr_code are stored. A
 * crash, a timeout or a second process in between never makes a second way: whoever finishes
 * a 'creating' channel after its first attempt (a retry, a lapsed claim taken over) first
 * looks in WeCom for a way with the channel's state, and adopts it if it is there.
 */

/** A claim holds this long: longer than add_contact_way with the client's retries takes. */
export const CHANNEL_CLAIM_MS = 60_000
/** WeCom keeps a remark of 30 characters; the channel's name goes there, cut if longer. */
const REMARK_MAX = 30
/** Ways listed per page when looking for one by state (WeCom's maximum is 1,000). */
const LIST_LIMIT = 1000

/** A state for a new channel: 'ch_' and 16 hex characters, ASCII and well within WeCom's 30. */
export const newChannelState = () => `ch_${randomBytes(8).toString('hex')}`

/** WeCom did not answer whether it made the way: the channel stays 'creating', finished by the next try. */
export const wecomUnanswered = (detail: string) => new AppError('wecom_timeout', `WeCom did not answer (${detail}); the channel is kept as being created and is finished when tried again`)

const answeredNothing = (error: unknown) => error instanceof WecomApiError && (error.code === TransportCode.timeout || error.code === TransportCode.network || error.code === TransportCode.badResponse)

/** The way's members, as WeCom takes them: one is type 1, several type 2. */
async function wayOf(dataSource: DataSource, channel: Channel) {
  const members = await dataSource
    .getRepository(Member)
    .createQueryBuilder('m')
    .innerJoin(ChannelMember, 'cm', 'cm.member_id = m.id')
    .where('cm.channel_id = :id', { id: channel.id })
    .orderBy('m.userid')
    .getMany()
  const user = members.map((m) => m.userid)
  return { type: user.length === 1 ? (1 as const) : (2 as const), scene: 2 as const, remark: channel.name.slice(0, REMARK_MAX), skip_verify: channel.skipVerify, state: channel.state, user }
}

/** The way WeCom already has with `state`, made since `since`, if any (an earlier attempt's). */
async function findWayByState(client: WecomClient, state: string, since: Date): Promise<{ config_id: string; qr_code: string } | null> {
  let cursor = ''
  do {
    const page = await client.call('listContactWays', { body: { start_time: Math.floor(since.getTime() / 1000) - 60, end_time: Math.ceil(Date.now() / 1000) + 60, cursor, limit: LIST_LIMIT } })
    for (const { config_id } of page.contact_way ?? []) {
      const { contact_way: way } = await client.call('getContactWay', { body: { config_id } })
      if (way.state === state) return { config_id, qr_code: way.qr_code ?? '' }
    }
    cursor = page.next_cursor ?? ''
  } while (cursor)
  return null
}

/**
 * Finishes a 'creating' channel: claims it (taking over a lapsed claim), adopts the way an
 * earlier attempt made or adds one, and stores it. `firstAttempt`: the row was claimed by
 * this very request, so no earlier attempt can have reached WeCom. A WeCom refusal removes
 * the channel (nothing was made) and throws wecom_refused; no answer keeps it 'creating' and
 * throws wecom_timeout. Returns the channel as stored.
 */
export async function finishCreating(dataSource: DataSource, client: WecomClient, channelId: number, { logger, owner, firstAttempt = false }: { logger: Logger; owner?: string; firstAttempt?: boolean }): Promise<Channel> {
  const channels = dataSource.getRepository(Channel)
  const claim = owner ?? newOwner()
  if (!owner) {
    const now = new Date()
    const current = await channels.findOneByOrFail({ id: channelId })
    if (current.wecomStatus !== 'creating') return current
    const free = current.claimedBy === null || (current.leaseUntil?.getTime() ?? 0) <= now.getTime() || ownerIsGone(current.claimedBy)
    const busy = () => new AppError('conflict', 'This channel is being created right now; try again in a minute')
    if (!free) throw busy()
    const taken = await channels.update({ id: channelId, wecomStatus: 'creating', claimedBy: current.claimedBy ?? IsNull() }, { claimedBy: claim, leaseUntil: new Date(now.getTime() + CHANNEL_CLAIM_MS) })
    if (!taken.affected) throw busy()
  }
  const channel = await channels.findOneByOrFail({ id: channelId })
  // Free the claim at once when the try ends undecided: the next one looks for the way before adding one.
  const release = () => channels.update({ id: channelId, claimedBy: claim }, { leaseUntil: new Date() })
  let adopted: { config_id: string; qr_code: string } | null = null
  if (!firstAttempt) {
    try {
      adopted = await findWayByState(client, channel.state, channel.createdAt)
    } catch (error) {
      // Not knowing whether the way exists, nothing may be deleted or added: the channel stays being created.
      await release()
      if (error instanceof WecomApiError) throw wecomUnanswered(`looking for the way it may have made: ${error.message}`)
      throw error
    }
  }
  try {
    const made = adopted ?? (await client.call('addContactWay', { body: await wayOf(dataSource, channel) }))
    await channels.update({ id: channelId, claimedBy: claim }, { configId: made.config_id, qrCode: made.qr_code || null, wecomStatus: 'active', claimedBy: null, leaseUntil: null, updatedAt: new Date() })
    return channels.findOneByOrFail({ id: channelId })
  } catch (error) {
    if (answeredNothing(error)) {
      await release()
      logger.warn({ channelId, err: (error as Error).message }, 'add_contact_way got no answer: the channel stays being created')
      throw wecomUnanswered((error as WecomApiError).message)
    }
    if (error instanceof WecomApiError) {
      // WeCom said no: nothing exists there, so nothing stays here.
      await channels.delete({ id: channelId, claimedBy: claim })
      throw new AppError('wecom_refused', `WeCom refused the channel's QR code (${error.code}${error.code === WecomCode.contactWayQuota ? ': the company has reached its quota of 「联系我」 ways' : ''})`)
    }
    await release()
    throw error
  }
}
