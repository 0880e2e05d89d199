import { WELCOME_LIMITS, WELCOME_VARIABLES } from '../../../server/api/contract'
import { messages } from '../messages'
import type { ChannelRequest, ConsoleWelcome } from '../types'

const t = messages.channels.welcome

/** The server's rules for a welcome (the API contract's), said in the form before sending. */
export { WELCOME_LIMITS, WELCOME_VARIABLES }
export const IMAGE_TYPES = ['image/png', 'image/jpeg'] as const
export const variablesText = WELCOME_VARIABLES.map((name) => `{{${name}}}`).join('、')

/** A welcome as its fields hold it: every field a string, the attachment picked by one choice. */
export interface WelcomeDraft {
  text: string
  attachment: 'none' | 'link' | 'image'
  link: { title: string; url: string; desc: string; picurl: string }
  image: { id: number; fileName: string } | null
}

export function welcomeDraft(welcome: ConsoleWelcome | null): WelcomeDraft {
  return {
    text: welcome?.text ?? '',
    attachment: welcome?.image ? 'image' : welcome?.link ? 'link' : 'none',
    link: { title: welcome?.link?.title ?? '', url: welcome?.link?.url ?? '', desc: welcome?.link?.desc ?? '', picurl: welcome?.link?.picurl ?? '' },
    image: welcome?.image ?? null,
  }
}

/** What the API takes: only the picked attachment is sent (a welcome has a link or an image, not both). */
export function welcomeRequest(draft: WelcomeDraft): ChannelRequest['welcome'] {
  const { title, url, desc, picurl } = draft.link
  const link = draft.attachment === 'link' ? { title: title.trim(), url: url.trim(), ...(desc.trim() ? { desc: desc.trim() } : {}), ...(picurl.trim() ? { picurl: picurl.trim() } : {}) } : null
  return { text: draft.text.trim() || null, link, imageId: draft.attachment === 'image' ? (draft.image?.id ?? null) : null }
}

const bytes = (text: string) => new TextEncoder().encode(text).length
const httpUrl = (text: string) => /^https?:\/\/\S+$/.test(text)

/** Why the server would refuse this welcome, or '' when it would take it. */
export function welcomeRefusal(draft: WelcomeDraft): string {
  const welcome = welcomeRequest(draft)
  const text = welcome.text ?? ''
  if (text.length > WELCOME_LIMITS.text) return messages.channels.tooLong(t.text, WELCOME_LIMITS.text)
  const unknown = [...text.matchAll(/\{\{([^{}]*)\}\}/g)].map((m) => m[1]!).filter((name) => !(WELCOME_VARIABLES as readonly string[]).includes(name))
  if (unknown.length > 0) return t.unknownVariables([...new Set(unknown)].map((name) => `{{${name}}}`).join('、'), variablesText)
  if (welcome.link) {
    if (!welcome.link.title) return messages.channels.required(t.linkTitle)
    if (bytes(welcome.link.title) > WELCOME_LIMITS.linkTitleBytes) return t.linkTitleTooLong
    if (!welcome.link.url) return messages.channels.required(t.linkUrl)
    if (!httpUrl(welcome.link.url)) return t.httpUrl(t.linkUrl)
    if (welcome.link.desc && bytes(welcome.link.desc) > WELCOME_LIMITS.linkDescBytes) return t.linkDescTooLong
    if (welcome.link.picurl && !httpUrl(welcome.link.picurl)) return t.httpUrl(t.linkPicurl)
  }
  if (draft.attachment === 'image' && !draft.image) return t.noImage
  return ''
}
