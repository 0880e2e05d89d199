import { In, IsNull, LessThan, type DataSource } from 'typeorm'
import { Channel, DefaultWelcome, MediaAsset } from '../entities'
import type { Logger } from '../logger'
import { WecomCode } from '../wecom/apiTypes'
import type { WecomClient } from '../wecom/client'
import { WecomApiError } from '../wecom/errors'
import { finishCreating } from './contactWays'
import { freshMediaId } from './welcome'

/** Uploaded again each night when older than this: a 3-day media id then never lapses before the next night. */
const REFRESH_AFTER_MS = 36 * 3_600_000

export interface ChannelUpkeep {
  /** Channels whose way WeCom no longer has (deleted there, or by someone else): marked gone. */
  gone: string[]
  /** Channels left 'creating' (no answer from WeCom), finished now. */
  finished: number
  /** Welcome images given to WeCom again before their media id expires. */
  refreshed: number
  /** What could not be done this time, for the reconcile's report. */
  problems: string[]
}

/**
 * The channels' side of the nightly reconcile (SPEC §4.8): WeCom sends no callback for a way
 * deleted or a media id expiring, so we look. Each step goes on when one channel fails.
 */
export async function upkeepChannels(dataSource: DataSource, client: WecomClient, logger: Logger, now = new Date()): Promise<ChannelUpkeep> {
  const channels = dataSource.getRepository(Channel)
  const result: ChannelUpkeep = { gone: [], finished: 0, refreshed: 0, problems: [] }

  for (const channel of await channels.findBy({ deletedAt: IsNull(), wecomStatus: 'active' })) {
    try {
      await client.call('getContactWay', { body: { config_id: channel.configId! } }, { maxWaitMs: 60_000 })
    } catch (error) {
      if (error instanceof WecomApiError && error.code === WecomCode.contactWayUnknown) {
        await channels.update({ id: channel.id }, { wecomStatus: 'gone', updatedAt: now })
        result.gone.push(channel.name)
      } else result.problems.push(`channel ${channel.id}: ${(error as Error).message}`)
    }
  }

  for (const channel of await channels.findBy({ deletedAt: IsNull(), wecomStatus: 'creating', leaseUntil: LessThan(now) })) {
    try {
      await finishCreating(dataSource, client, channel.id, { logger })
      result.finished++
    } catch (error) {
      result.problems.push(`channel ${channel.id} still being created: ${(error as Error).message}`)
    }
  }

  const inUse = [
    ...(await channels.find({ where: { deletedAt: IsNull() }, select: { id: true, welcomeImageId: true } })).map((c) => c.welcomeImageId),
    (await dataSource.getRepository(DefaultWelcome).findOneBy({ id: 1 }))?.welcomeImageId,
  ].filter((id): id is number => typeof id === 'number')
  const stale = await dataSource.getRepository(MediaAsset).find({ where: { id: In([...new Set(inUse)]) }, select: { id: true, uploadedAt: true } })
  for (const asset of stale.filter((a) => !a.uploadedAt || now.getTime() - a.uploadedAt.getTime() >= REFRESH_AFTER_MS)) {
    try {
      await freshMediaId(dataSource, client, asset.id, { maxAgeMs: REFRESH_AFTER_MS })
      result.refreshed++
    } catch (error) {
      result.problems.push(`welcome image ${asset.id}: ${(error as Error).message}`)
    }
  }
  return result
}
