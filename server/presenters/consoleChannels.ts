import type { ChannelFiguresView, ChannelPlatform, ConsoleChannel, ConsoleChannels, ConsoleChannelStats, ConsoleWelcome } from '../api/contract'
import type { ChannelListing } from '../channels/channels'
import type { ChannelFigures, ChannelStats } from '../channels/figures'
import { yuan } from '../rules/orders'
import type { WelcomeLink } from '../entities'

export function presentWelcome(welcome: { welcomeText: string | null; welcomeLink: WelcomeLink | null }, image: { id: number; fileName: string } | null): ConsoleWelcome {
  const link = welcome.welcomeLink
  return {
    text: welcome.welcomeText,
    link: link && { title: link.title, url: link.url, ...(link.desc ? { desc: link.desc } : {}), ...(link.picurl ? { picurl: link.picurl } : {}) },
    image: image && { id: image.id, fileName: image.fileName },
  }
}

export function presentChannel(channel: ChannelListing): ConsoleChannel {
  return {
    id: channel.id,
    name: channel.name,
    platform: channel.platform as ChannelPlatform,
    state: channel.state,
    members: channel.members.map((m) => ({ userid: m.userid, name: m.name })),
    skipVerify: channel.skipVerify,
    tags: channel.tags.map((t) => ({ id: t.id, name: t.name, group: t.group })),
    welcome: presentWelcome(channel, channel.image),
    note: channel.note,
    wecomStatus: channel.wecomStatus,
    qrImageUrl: channel.qrCode ? `/api/console/channels/${channel.id}/qr` : null,
    createdAt: channel.createdAt.toISOString(),
  }
}

export function presentChannels(page: Omit<ConsoleChannels, 'channels'> & { channels: ChannelListing[] }): ConsoleChannels {
  return {
    channels: page.channels.map(presentChannel),
    platforms: page.platforms,
    members: page.members.map((m) => ({ userid: m.userid, name: m.name })),
    tagGroups: page.tagGroups.map((g) => ({ name: g.name, tags: g.tags.map((t) => ({ id: t.id, name: t.name })) })),
    defaultWelcome: page.defaultWelcome,
  }
}

const share = ({ of, kept }: { of: number; kept: number }) => (of === 0 ? null : Math.round((kept / of) * 1000) / 1000)

export function presentFigures(f: ChannelFigures): ChannelFiguresView {
  return {
    arrived: f.arrived,
    lost: f.lost,
    net: f.arrived - f.lost,
    retention7: share(f.retention7),
    retention30: share(f.retention30),
    buyers: f.buyers,
    revenue: yuan(f.revenueCents),
    revenuePerArrival: yuan(f.arrived === 0 ? 0 : Math.round(f.revenueCents / f.arrived)),
  }
}

export function presentChannelStats(stats: ChannelStats): ConsoleChannelStats {
  return {
    from: stats.from,
    to: stats.to,
    channels: stats.channels.map((c) => ({ id: c.id, name: c.name, platform: c.platform, deleted: c.deleted, figures: presentFigures(c.figures) })),
    platforms: stats.platforms.map((p) => ({ platform: p.platform, figures: presentFigures(p.figures) })),
    days: stats.days.map((d) => ({ date: d.date, arrived: d.arrived, lost: d.lost })),
  }
}

/** A CSV cell that a spreadsheet shows as text: quoted, and a leading = + - @ (a formula) defused. */
const cell = (value: string | number) => {
  const text = String(value)
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value === 'string' ? `'${text}` : text
  return `"${safe.replace(/"/g, '""')}"`
}
const percent = (ratio: number | null) => (ratio === null ? '' : `${(ratio * 100).toFixed(1)}%`)

/** The figures as the CSV export gives them: UTF-8 with a BOM (spreadsheets then read the Chinese right), a row per channel then per platform. */
export function channelStatsCsv(stats: ConsoleChannelStats): string {
  const header = ['渠道', '平台', '新增客户', '流失客户', '净增', '7日留存', '30日留存', '成交客户', '成交金额（元）', '每位新客成交（元）']
  const row = (name: string, platform: string, f: ChannelFiguresView) => [name, platform, f.arrived, f.lost, f.net, percent(f.retention7), percent(f.retention30), f.buyers, f.revenue, f.revenuePerArrival]
  const rows = [
    ...stats.channels.map((c) => row(c.deleted ? `${c.name}（已删除）` : c.name, c.platform, c.figures)),
    ...stats.platforms.map((p) => row(`平台合计：${p.platform}`, p.platform, p.figures)),
  ]
  return `\uFEFF${[header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`
}
