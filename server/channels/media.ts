import { createHash } from 'node:crypto'
import type { DataSource } from 'typeorm'
import { WELCOME_LIMITS } from '../api/contract'
import { MediaAsset } from '../entities'
import { validationFailed } from '../errors'
import type { WecomClient } from '../wecom/client'
import { freshMediaId } from './welcome'

/** A welcome image: WeCom takes jpg and png; 2 MB keeps a welcome quick to send and to load. */
export const IMAGE_MAX_BYTES = WELCOME_LIMITS.imageBytes
const IMAGE_KINDS = [
  { contentType: 'image/png', magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { contentType: 'image/jpeg', magic: Buffer.from([0xff, 0xd8, 0xff]) },
] as const

/** The image's type, read from its first bytes (what a browser says of a file is not proof). */
export function imageContentType(bytes: Buffer): string | null {
  return IMAGE_KINDS.find(({ magic }) => bytes.subarray(0, magic.length).equals(magic))?.contentType ?? null
}

/**
 * Keeps an uploaded welcome image and gives it to WeCom at once (media/upload), so that a
 * refusal shows now, not at a customer's welcome; nothing is kept when WeCom refuses.
 */
export async function saveWelcomeImage(dataSource: DataSource, client: WecomClient, { fileName, bytes }: { fileName: string; bytes: Buffer }): Promise<MediaAsset> {
  const contentType = imageContentType(bytes)
  if (!contentType) throw validationFailed('The welcome image must be a PNG or JPEG file')
  if (bytes.length > IMAGE_MAX_BYTES) throw validationFailed(`The welcome image is at most ${IMAGE_MAX_BYTES / 1024 / 1024} MB`)
  const assets = dataSource.getRepository(MediaAsset)
  const { identifiers } = await assets.insert({
    fileName: fileName.slice(0, 128) || 'image',
    contentType,
    byteLength: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    contentBase64: bytes.toString('base64'),
    mediaId: null,
    uploadedAt: null,
    createdAt: new Date(),
  })
  const id = Number(identifiers[0]!.id)
  try {
    await freshMediaId(dataSource, client, id)
  } catch (error) {
    await assets.delete({ id })
    throw error
  }
  return assets.findOneByOrFail({ id })
}

/** An image's bytes and type, for the console's preview. */
export async function imageBytes(dataSource: DataSource, id: number): Promise<{ contentType: string; bytes: Buffer } | null> {
  const asset = await dataSource.getRepository(MediaAsset).findOne({ where: { id }, select: { id: true, contentType: true, contentBase64: true } })
  return asset ? { contentType: asset.contentType, bytes: Buffer.from(asset.contentBase64, 'base64') } : null
}
