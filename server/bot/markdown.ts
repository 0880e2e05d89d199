import { escapeHtml } from '../html'

/**
 * Text for WeCom markdown and textcards. Names come from customers and members, so anyone
 * can put markup in them: WeCom markdown has no escape character, so markup characters
 * become their full-width look-alikes, which read the same and mean nothing.
 */

const MARKUP = /[<>[\]()*_`#~|\\]/g
const FULL_WIDTH: Record<string, string> = {
  '<': '＜', '>': '＞', '[': '［', ']': '］', '(': '（', ')': '）', '*': '＊', _: '＿', '`': '｀', '#': '＃', '~': '～', '|': '｜', '\\': '＼',
}

/**
 * Format characters (bidi overrides and isolates, zero-width ones, BOM, soft hyphen) reorder
 * or hide text, so a name could pass for another: they go. Lone surrogates go with them.
 */
const INVISIBLE = /[\p{Cf}\p{Cs}]/gu
/** Controls and line or paragraph separators would break the line: each run is a space. */
const LINE_BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]+/gu

/** On one line, at most `maxChars` characters (an ellipsis marks a cut), with nothing invisible. */
function shortLine(value: string, maxChars: number): string {
  const chars = [...value.replace(INVISIBLE, '').replace(LINE_BREAKING, ' ').trim()]
  return chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join('')}…` : chars.join('')
}

/** A name or phrase as inert markdown text on one line, at most `maxChars` characters. */
export const markdownText = (value: string, maxChars = 24) => shortLine(value, maxChars).replace(MARKUP, (c) => FULL_WIDTH[c]!)

/** Text inside a textcard description, which WeCom reads as HTML. */
export const htmlText = (value: string, maxChars = 40) => escapeHtml(shortLine(value, maxChars))

export const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8')

/** Room kept in the header for the part marker, e.g. "（12/15）". */
const PART_MARKER_BYTES = 24

/**
 * A header and blocks (one per person) packed into as few messages of at most `maxBytes`
 * as they fit, never splitting a block; every part repeats the header, numbered when
 * there are several. A block too long on its own is cut at a character boundary.
 */
export function splitMessages(header: string, blocks: string[], maxBytes: number): string[] {
  const room = maxBytes - utf8Bytes(header) - PART_MARKER_BYTES
  if (room < 64) throw new Error('header too long for the message size')
  const bodies: string[][] = [[]]
  let used = 0
  for (const raw of blocks) {
    const block = utf8Bytes(raw) + 1 > room ? cutToBytes(raw, room - 1) : raw
    const size = utf8Bytes(block) + 1
    if (used + size > room && bodies.at(-1)!.length > 0) {
      bodies.push([])
      used = 0
    }
    bodies.at(-1)!.push(block)
    used += size
  }
  if (bodies.length === 1) return [[header, ...bodies[0]!].join('\n')]
  return bodies.map((body, i) => [`${header}（${i + 1}/${bodies.length}）`, ...body].join('\n'))
}

function cutToBytes(text: string, maxBytes: number): string {
  let out = ''
  for (const char of text) {
    if (utf8Bytes(out + char) + utf8Bytes('…') > maxBytes) break
    out += char
  }
  return `${out}…`
}
