import { escapeHtml } from '../../html'
import type { AppMessageRecord, RobotMessageRecord } from './messageApi'
import type { SimCompany } from './state'

/**
 * The demo page's record of what our bot sent: app messages (message/send) and group-robot
 * messages (webhook/send), newest first. Message text is shown as text, never as markup.
 */

/** WeCom is used in China: times are shown there, whatever the server's zone. */
const TIME_FORMAT = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'medium' })
/** Types we do not look inside are shown as JSON, cut to this many characters. */
const OPAQUE_PREVIEW_CHARS = 1000

/** The app messages section. */
export function renderAppMessages(company: SimCompany, messages: readonly AppMessageRecord[]): string {
  const items = [...messages].reverse().map((message) => {
    const recipients = message.recipients.map((userid) => {
      const name = company.users.get(userid)?.name
      return name ? `${name}（${userid}）` : userid
    })
    const meta = `${TIME_FORMAT.format(message.at)} · 类型 ${String(message.body.msgtype ?? '')} · 发给：${recipients.join('、')}`
    return `<article class="message"><div class="muted">${escapeHtml(meta)}</div>${renderBody(message.body)}</article>`
  })
  return `<section id="app-messages">
<h2>应用消息（${messages.length}）</h2>
${items.length === 0 ? '<p class="muted">我们的应用还没有发过消息。</p>' : items.join('\n')}
</section>`
}

/** The group-robot messages section; the webhook key is a credential, so only its end is shown. */
export function renderRobotMessages(messages: readonly RobotMessageRecord[]): string {
  const items = [...messages].reverse().map((message) => {
    const meta = `${TIME_FORMAT.format(message.at)} · 类型 ${String(message.body.msgtype ?? '')} · 机器人 …${message.key.slice(-4)}`
    return `<article class="message"><div class="muted">${escapeHtml(meta)}</div>${renderBody(message.body)}</article>`
  })
  return `<section id="robot-messages">
<h2>群机器人消息（${messages.length}）</h2>
${items.length === 0 ? '<p class="muted">群机器人还没有发过消息。</p>' : items.join('\n')}
</section>`
}

/** text and markdown: the content; textcard: title, description, link and button; anything else: JSON. */
function renderBody(body: Record<string, unknown>): string {
  const msgtype = typeof body.msgtype === 'string' ? body.msgtype : ''
  const part = body[msgtype]
  const fields = typeof part === 'object' && part !== null ? (part as Record<string, unknown>) : {}
  const text = (name: string) => (typeof fields[name] === 'string' ? fields[name] : '')
  if (msgtype === 'textcard') {
    const button = text('btntxt') ? ` · 按钮「${text('btntxt')}」` : ''
    return `<strong>${escapeHtml(text('title'))}</strong><pre>${escapeHtml(text('description'))}</pre><div class="muted">链接：${escapeHtml(text('url') + button)}</div>`
  }
  if (typeof fields.content === 'string') return `<pre>${escapeHtml(fields.content)}</pre>`
  return `<pre>${escapeHtml(JSON.stringify(part ?? body).slice(0, OPAQUE_PREVIEW_CHARS))}</pre>`
}
