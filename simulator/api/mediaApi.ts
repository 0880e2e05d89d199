import { randomBytes } from 'node:crypto'
import type { ApiRequest, EndpointTable } from './apiRequest'
import { refuse } from './errors'
import type { FormPart } from './multipart'
import type { SimCompany, SimMedia, SimMediaType } from './state'

/**
 * Temporary media (上传临时素材, doc 90253): `POST media/upload?type=…` with the file in the
 * multipart field `media`. Ids last 3 days. Codes from WeCom's errcode table (doc 90313):
 * 40005 invalid type, 44001 no file, 40004 a file not of its type, 40009 / 40011 / 40006 an
 * image / video / other file of the wrong size.
 */
export const MEDIA_TTL_MS = 3 * 24 * 3600 * 1000

interface MediaRule {
  maxBytes: number
  /** The errcode for a size out of range. */
  sizeErrcode: number
  /** Whether the bytes are of this type (WeCom: images JPG/PNG, voice AMR, video MP4). */
  looksRight(data: Buffer): boolean
  formats: string
}

const MB = 1024 * 1024
/** Every upload must be larger than 5 bytes. */
const MIN_BYTES = 5
const MEDIA_RULES: Record<SimMediaType, MediaRule> = {
  image: { maxBytes: 10 * MB, sizeErrcode: 40009, looksRight: (data) => isPng(data) || isJpeg(data), formats: 'JPG or PNG' },
  voice: { maxBytes: 2 * MB, sizeErrcode: 40006, looksRight: (data) => data.subarray(0, 5).toString('latin1') === '#!AMR', formats: 'AMR' },
  video: { maxBytes: 10 * MB, sizeErrcode: 40011, looksRight: (data) => data.subarray(4, 8).toString('latin1') === 'ftyp', formats: 'MP4' },
  file: { maxBytes: 20 * MB, sizeErrcode: 40006, looksRight: () => true, formats: 'any format' },
}

export function mediaEndpoints(company: SimCompany, now: () => number): EndpointTable {
  return {
    '/cgi-bin/media/upload': {
      method: 'POST',
      token: true,
      body: 'multipart',
      handle({ query, files }: ApiRequest) {
        const type = query.type
        if (!type || !Object.hasOwn(MEDIA_RULES, type)) refuse(40005, `invalid type ${type ?? '(missing)'}: image, voice, video or file`)
        const media = checkedUpload(type as SimMediaType, files.media)
        const nowMs = now()
        forgetExpired(company, nowMs)
        const createdAt = Math.floor(nowMs / 1000)
        company.media.set(media.media_id, { ...media, created_at: createdAt })
        // WeCom answers created_at as a string of Unix seconds.
        return { type, media_id: media.media_id, created_at: String(createdAt) }
      },
    },
  }
}

function checkedUpload(type: SimMediaType, part: FormPart | undefined): Omit<SimMedia, 'created_at'> {
  if (!part) refuse(44001, 'media data missing: send the file in the multipart field "media"')
  const rule = MEDIA_RULES[type]
  const bytes = part.data.length
  if (bytes <= MIN_BYTES || bytes > rule.maxBytes) refuse(rule.sizeErrcode, `${type} size ${bytes} bytes is not within ${MIN_BYTES + 1}..${rule.maxBytes}`)
  if (!rule.looksRight(part.data)) refuse(40004, `the file is not a valid ${type}: ${rule.formats} only`)
  // WeCom media ids are opaque, about 50 characters of base64url.
  return { media_id: `3${randomBytes(36).toString('base64url')}`, type, filename: part.filename || 'media', bytes }
}

/** The live media of that type, else 40007 (unknown, expired, or another type: doc 90313 lists all three). */
export function requireLiveMedia(company: SimCompany, mediaId: string, type: SimMediaType, nowMs: number, field: string): SimMedia {
  const media = company.media.get(mediaId)
  if (!media) refuse(40007, `${field} ${mediaId} is not a media_id of this corp`)
  if (nowMs >= media.created_at * 1000 + MEDIA_TTL_MS) refuse(40007, `${field} ${mediaId} expired 3 days after its upload`)
  if (media.type !== type) refuse(40007, `${field} ${mediaId} is a ${media.type}, not a ${type}`)
  return media
}

/** Keeps the state (and the snapshot) from growing with ids nobody can use any more. */
function forgetExpired(company: SimCompany, nowMs: number): void {
  for (const [id, media] of company.media) if (nowMs >= media.created_at * 1000 + MEDIA_TTL_MS) company.media.delete(id)
}

function isPng(data: Buffer): boolean {
  return data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
}

function isJpeg(data: Buffer): boolean {
  return data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff
}
