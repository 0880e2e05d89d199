import type { EntityManager } from 'typeorm'
import { DefaultWelcome, MediaAsset } from '../entities'
import type { WelcomeContent } from './channels'

/** The company's welcome for adds through no channel, as stored (empty when never set). */
export async function readDefaultWelcome(manager: EntityManager): Promise<{ welcomeText: string | null; welcomeLink: DefaultWelcome['welcomeLink']; image: { id: number; fileName: string } | null }> {
  const row = await manager.findOneBy(DefaultWelcome, { id: 1 })
  const image = row?.welcomeImageId ? await manager.findOne(MediaAsset, { where: { id: row.welcomeImageId }, select: { id: true, fileName: true } }) : null
  return { welcomeText: row?.welcomeText ?? null, welcomeLink: row?.welcomeLink ?? null, image }
}

/** Replaces the company's default welcome (all empty: no welcome for adds through no channel). */
export async function saveDefaultWelcome(manager: EntityManager, welcome: WelcomeContent, actorMemberId: number): Promise<void> {
  await manager.upsert(DefaultWelcome, { id: 1, welcomeText: welcome.text, welcomeLink: welcome.link, welcomeImageId: welcome.imageId, updatedByMemberId: actorMemberId, updatedAt: new Date() }, ['id'])
}
