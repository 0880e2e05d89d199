import { escapeHtml } from '../html'

/**
 * Bot messages as the WeCom client shows them (wecom-protocol.md §3.8, §3.9): a textcard's
 * description with its few `<div class>` tags, and WeCom's markdown subset. The text is
 * escaped first; only the known constructs, found in the escaped text, become markup, so a
 * nickname can never turn into an element or an attribute.
 */

const LT = escapeHtml('<')
const GT = escapeHtml('>')
const QUOTE = escapeHtml('"')

/** The classes WeCom's textcard description knows. */
const CARD_DIV = new RegExp(`${LT}div class=${QUOTE}(gray|normal|highlight)${QUOTE}${GT}|${LT}/div${GT}|${LT}br\\s*/?${GT}|\\n`, 'g')

/** A link we let the visitor follow: http(s), or a path on this site (not `//host` nor `/\host`, which browsers read as another host). */
export function isFollowableUrl(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url) || /^\/(?![/\\])[^\s]*$/.test(url)
}

/** A textcard description: `<div class="gray|normal|highlight">` and `<br>` kept, balanced; everything else as text. */
export function renderCardDescription(description: string): string {
  let open = 0
  const html = escapeHtml(description).replace(CARD_DIV, (token, kind: string | undefined) => {
    if (kind) {
      open++
      return `<div class="card-${kind}">`
    }
    if (token.startsWith(`${LT}/`)) {
      if (open === 0) return token
      open--
      return '</div>'
    }
    return '<br>'
  })
  // An unclosed div would swallow the rest of the page.
  return html + '</div>'.repeat(open)
}

/** WeCom markdown: `#` headings, `>` quotes, **bold**, [links](url), `code`, `<font color>`, `<@userid>` mentions. */
export function renderMarkdown(content: string, nameOf: (userid: string) => string | undefined): string {
  const lines = content.replace(/\r\n?/g, '\n').split('\n')
  return lines
    .map((line) => {
      const heading = /^(#{1,6}) +(.*)$/.exec(line)
      if (heading) return `<div class="md-h${heading[1]!.length}">${renderInline(heading[2]!, nameOf)}</div>`
      const quote = /^> ?(.*)$/.exec(line)
      if (quote) return `<blockquote>${renderInline(quote[1]!, nameOf)}</blockquote>`
      return `${renderInline(line, nameOf)}<br>`
    })
    .join('')
    .replace(/<br>$/, '')
}

const FONT = new RegExp(`${LT}font color=${QUOTE}(info|comment|warning)${QUOTE}${GT}(.*?)${LT}/font${GT}`, 'g')
const MENTION = new RegExp(`${LT}@([A-Za-z0-9_.@-]{1,64})${GT}`, 'g')

function renderInline(raw: string, nameOf: (userid: string) => string | undefined): string {
  // Links are set aside first, so that no later rule looks inside an href.
  const links: string[] = []
  const text = raw.replace(/\u0000/g, '').replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (whole, label: string, url: string) => {
    if (!isFollowableUrl(url)) return whole
    links.push(`<a href="${escapeHtml(url)}" rel="noopener noreferrer">${escapeHtml(label)}</a>`)
    return `\u0000${links.length - 1}\u0000`
  })
  return escapeHtml(text)
    .replace(FONT, (_, color: string, inner: string) => `<span class="md-${color}">${inner}</span>`)
    .replace(MENTION, (_, userid: string) => `<span class="mention">@${escapeHtml(nameOf(userid) ?? userid)}</span>`)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\u0000(\d+)\u0000/g, (_, i: string) => links[Number(i)]!)
}
