import { In, type DataSource } from 'typeorm'
import { recordTagChange } from '../customers/actions'
import { query } from '../db/sql'
import { Channel, ChannelTag, FollowRelation, FollowTag, Tag } from '../entities'
import type { WecomClient } from '../wecom/client'

/**
 * Attributes a follow to the channel whose state it arrived with: its first channel stays
 * (set once), its latest is this one; and marks the channel's tags in WeCom (mark_tag) and
 * here, for API changes send no callback. False when the state names no channel of ours
 * (a QR code made elsewhere) or the follow is not stored.
 */
export async function attributeArrival(dataSource: DataSource, client: WecomClient, { userid, externalUserid, state }: { userid: string; externalUserid: string; state: string }): Promise<boolean> {
  // Deleted channels too: an add made just before its deletion belongs to it.
  const channel = await dataSource.getRepository(Channel).findOneBy({ state })
  if (!channel) return false
  const [follow] = await query<{ id: number; customer_id: number }>(
    dataSource.manager,
    `SELECT f.id, f.customer_id FROM follow_relations f JOIN members m ON m.id = f.member_id JOIN customers c ON c.id = f.customer_id
      WHERE m.userid = :userid AND c.external_userid = :externalUserid`,
    { userid, externalUserid },
  )
  if (!follow) return false
  const followId = Number(follow.id)
  await query(
    dataSource.manager,
    'UPDATE follow_relations SET channel_id = :channelId, first_channel_id = COALESCE(first_channel_id, :channelId) WHERE id = :followId',
    { channelId: channel.id, followId },
  )

  const wanted = await dataSource.getRepository(ChannelTag).findBy({ channelId: channel.id })
  if (wanted.length === 0) return true
  const marked = new Set((await dataSource.getRepository(FollowTag).findBy({ followRelationId: followId, tagId: In(wanted.map((t) => t.tagId)) })).map((t) => t.tagId))
  const missing = await dataSource.getRepository(Tag).findBy({ id: In(wanted.filter((t) => !marked.has(t.tagId)).map((t) => t.tagId)) })
  if (missing.length === 0) return true
  await client.call('markTag', { body: { userid, external_userid: externalUserid, add_tag: missing.map((t) => t.wecomTagId) } }, { maxWaitMs: 60_000 })
  await recordTagChange(dataSource, { followId, customerId: Number(follow.customer_id), actorMemberId: null, added: missing, removed: [], by: `channel:${channel.id}` })
  return true
}
