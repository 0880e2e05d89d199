import type { EntityManager } from 'typeorm'
import { datesFrom, dayBounds, dayOf, withinDays } from '../db/businessDays'
import { secondsBetween } from '../db/dialect'
import { query } from '../db/sql'
import { Channel, type FollowStatus } from '../entities'
import { SPENDING_STATUSES } from '../rules/orders'
import { startOfBusinessDay } from '../time'

const DAY_SECONDS = 86_400
const LOST: FollowStatus = 'deleted_by_customer'

/** One channel's (or platform's) figures over a range of business days (SPEC §4.8). */
export interface ChannelFigures {
  /** Customers who added a member through it in the range (each follow once). */
  arrived: number
  /** Its customers who deleted their member in the range. */
  lost: number
  /** Of the range's arrivals added at least 7 (30) days ago: those still following 7 (30) days after. */
  retention7: { of: number; kept: number }
  retention30: { of: number; kept: number }
  /** The range's arrivals who paid an order after arriving, and what those orders came to. */
  buyers: number
  revenueCents: number
}

export interface ChannelStats {
  from: string
  to: string
  channels: { id: number; name: string; platform: string; deleted: boolean; figures: ChannelFigures }[]
  platforms: { platform: string; figures: ChannelFigures }[]
  /** Arrivals and losses of every channel, day by day. */
  days: { date: string; arrived: number; lost: number }[]
}

const zero = (): ChannelFigures => ({ arrived: 0, lost: 0, retention7: { of: 0, kept: 0 }, retention30: { of: 0, kept: 0 }, buyers: 0, revenueCents: 0 })
function add(total: ChannelFigures, f: ChannelFigures): ChannelFigures {
  return {
    arrived: total.arrived + f.arrived,
    lost: total.lost + f.lost,
    retention7: { of: total.retention7.of + f.retention7.of, kept: total.retention7.kept + f.retention7.kept },
    retention30: { of: total.retention30.of + f.retention30.of, kept: total.retention30.kept + f.retention30.kept },
    buyers: total.buyers + f.buyers,
    revenueCents: total.revenueCents + f.revenueCents,
  }
}

/**
 * Every channel's figures for the business days [from, to], per platform too, and the days'
 * arrivals and losses: three set-based queries over the channel-first indexes, whatever the
 * number of channels. Arrivals count by the channel of the add (the follow's latest channel).
 */
export async function channelStats(manager: EntityManager, { from, to, timeZone, now = new Date() }: { from: string; to: string; timeZone: string; now?: Date }): Promise<ChannelStats> {
  const days = Math.round((startOfBusinessDay(to, timeZone).getTime() - startOfBusinessDay(from, timeZone).getTime()) / (DAY_SECONDS * 1000)) + 1
  const dates = datesFrom(from, days)
  const bounds = dayBounds(dates, timeZone)
  const kept = (seconds: number) => `f.status = 'active' OR ${secondsBetween(manager, 'f.added_at', 'f.status_changed_at')} >= ${seconds}`
  const parameters = { ...bounds, lost: LOST, spending: SPENDING_STATUSES, r7: new Date(now.getTime() - 7 * DAY_SECONDS * 1000), r30: new Date(now.getTime() - 30 * DAY_SECONDS * 1000) }
  const arrivedInRange = `f.channel_id IS NOT NULL AND ${withinDays('f.added_at', days)}`

  // Arrivals and losses each read once, by channel and day: the channels' figures and the days' are both sums of these rows.
  const [channels, arrivals, losses, buying] = await Promise.all([
    manager.find(Channel, { select: { id: true, name: true, platform: true, deletedAt: true }, order: { id: 'ASC' } }),
    query<{ channel_id: number; day: number | string; arrived: number | string; r7_of: number | string; r7_kept: number | string; r30_of: number | string; r30_kept: number | string }>(
      manager,
      `SELECT t.channel_id, t.day, COUNT(*) AS arrived, SUM(t.r7_of) AS r7_of, SUM(t.r7_kept) AS r7_kept, SUM(t.r30_of) AS r30_of, SUM(t.r30_kept) AS r30_kept
         FROM (SELECT f.channel_id, ${dayOf('f.added_at', days)} AS day,
                      CASE WHEN f.added_at <= :r7 THEN 1 ELSE 0 END AS r7_of,
                      CASE WHEN f.added_at <= :r7 AND (${kept(7 * DAY_SECONDS)}) THEN 1 ELSE 0 END AS r7_kept,
                      CASE WHEN f.added_at <= :r30 THEN 1 ELSE 0 END AS r30_of,
                      CASE WHEN f.added_at <= :r30 AND (${kept(30 * DAY_SECONDS)}) THEN 1 ELSE 0 END AS r30_kept
                 FROM follow_relations f WHERE ${arrivedInRange}) t
        GROUP BY t.channel_id, t.day`,
      parameters,
    ),
    query<{ channel_id: number; day: number | string; lost: number | string }>(
      manager,
      `SELECT t.channel_id, t.day, COUNT(*) AS lost
         FROM (SELECT f.channel_id, ${dayOf('f.status_changed_at', days)} AS day FROM follow_relations f
                WHERE f.status = :lost AND ${withinDays('f.status_changed_at', days)} AND f.channel_id IS NOT NULL) t
        GROUP BY t.channel_id, t.day`,
      parameters,
    ),
    // A customer who arrived twice through one channel (two members) is one buyer, their orders counted once.
    query<{ channel_id: number; buyers: number | string; revenue: number | string | null }>(
      manager,
      `SELECT a.channel_id, COUNT(DISTINCT a.customer_id) AS buyers, SUM(o.amount_cents) AS revenue
         FROM (SELECT f.channel_id, f.customer_id, MIN(f.added_at) AS arrived_at FROM follow_relations f WHERE ${arrivedInRange} GROUP BY f.channel_id, f.customer_id) a
         JOIN orders o ON o.customer_id = a.customer_id AND o.paid_at >= a.arrived_at AND o.status IN (:...spending)
        GROUP BY a.channel_id`,
      parameters,
    ),
  ])

  const figuresOf = new Map<number, ChannelFigures>()
  const of = (id: number | string) => {
    const key = Number(id)
    let figures = figuresOf.get(key)
    if (!figures) figuresOf.set(key, (figures = zero()))
    return figures
  }
  const arrivedByDay = new Array<number>(days).fill(0)
  const lostByDay = new Array<number>(days).fill(0)
  for (const row of arrivals) {
    const figures = of(row.channel_id)
    figures.arrived += Number(row.arrived)
    figures.retention7 = { of: figures.retention7.of + Number(row.r7_of), kept: figures.retention7.kept + Number(row.r7_kept) }
    figures.retention30 = { of: figures.retention30.of + Number(row.r30_of), kept: figures.retention30.kept + Number(row.r30_kept) }
    arrivedByDay[Number(row.day)]! += Number(row.arrived)
  }
  for (const row of losses) {
    of(row.channel_id).lost += Number(row.lost)
    lostByDay[Number(row.day)]! += Number(row.lost)
  }
  for (const row of buying) Object.assign(of(row.channel_id), { buyers: Number(row.buyers), revenueCents: Number(row.revenue ?? 0) })

  // Every live channel, and a deleted one only when it has figures in the range.
  const listed = channels
    .filter((c) => c.deletedAt === null || figuresOf.has(c.id))
    .map((c) => ({ id: c.id, name: c.name, platform: c.platform, deleted: c.deletedAt !== null, figures: figuresOf.get(c.id) ?? zero() }))
  const platforms = new Map<string, ChannelFigures>()
  for (const channel of listed) platforms.set(channel.platform, add(platforms.get(channel.platform) ?? zero(), channel.figures))
  return {
    from,
    to,
    channels: listed,
    platforms: [...platforms].map(([platform, figures]) => ({ platform, figures })).sort((a, b) => b.figures.arrived - a.figures.arrived || a.platform.localeCompare(b.platform)),
    days: dates.map((date, i) => ({ date, arrived: arrivedByDay[i]!, lost: lostByDay[i]! })),
  }
}
