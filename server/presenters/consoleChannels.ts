import type { ChannelPlatform, ConsoleChannel, ConsoleChannels, ConsoleWelcome } from '../api/contract'
import type { ChannelListing } from '../channels/channels'
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
