import { escapeHtml } from '../html'
import { DEMO_ACTION_PREFIX } from './demoActions'
import { isFollowableUrl, renderCardDescription, renderMarkdown } from './messageMarkup'
import type { AppMessageRecord, RobotMessageRecord } from '../api/messageApi'
import type { SimCompany } from '../api/state'
import type { WelcomeMessageRecord } from '../api/welcomeApi'

/**
 * The demo page's record of what our bot sent: app messages (message/send), group-robot
 * messages (webhook/send) and welcomes (send_welcome_msg), newest first, shown as the WeCom
 * client shows them: textcards as cards, markdown rendered (messageMarkup.ts turns only
 * WeCom's constructs into markup), a welcome's attachments as text and links.
 */

/** What rendering a message needs besides the message. */
interface MessageView {
  basePath: string
  company: SimCompany
  /** Who received it: a card's button opens its link as each of them, as their WeCom client would. */
  recipients: readonly string[]
}

/** WeCom is used in China: times are shown there, whatever the server's zone. */
const TIME_FORMAT = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'medium' })
/** Types we do not look inside are shown as JSON, cut to this many characters. */
const OPAQUE_PREVIEW_CHARS = 1000

/** The app messages section. */
export function renderAppMessages(basePath: string, company: SimCompany, messages: readonly AppMessageRecord[]): string {
  const items = [...messages].reverse().map((message) => {
    const recipients = message.recipients.map((userid) => {
      const name = company.users.get(userid)?.name
      return name ? `${name}（${userid}）` : userid
    })
    const meta = `${TIME_FORMAT.format(message.at)} · 类型 ${String(message.body.msgtype ?? '')} · 发给：${recipients.join('、')}`
    return `<article class="message"><div class="muted">${escapeHtml(meta)}</div>${renderBody(message.body, { basePath, company, recipients: message.recipients })}</article>`
  })
  return `<section id="app-messages">
<h2>应用消息（${messages.length}）</h2>
${items.length === 0 ? '<p class="muted">我们的应用还没有发过消息。</p>' : items.join('\n')}
</section>`
}

/** The group-robot messages section; the webhook key is a credential, so only its end is shown. */
export function renderRobotMessages(basePath: string, company: SimCompany, messages: readonly RobotMessageRecord[]): string {
  const items = [...messages].reverse().map((message) => {
    const meta = `${TIME_FORMAT.format(message.at)} · 类型 ${String(message.body.msgtype ?? '')} · 机器人 …${message.key.slice(-4)}`
    return `<article class="message"><div class="muted">${escapeHtml(meta)}</div>${renderBody(message.body, { basePath, company, recipients: [] })}</article>`
  })
  return `<section id="robot-messages">
<h2>群机器人消息（${messages.length}）</h2>
${items.length === 0 ? '<p class="muted">群机器人还没有发过消息。</p>' : items.join('\n')}
</section>`
}

/** The welcome messages section: what each customer got from their member, text and attachments as text and links. */
export function renderWelcomeMessages(company: SimCompany, messages: readonly WelcomeMessageRecord[]): string {
  const items = [...messages].reverse().map((message) => {
    const member = company.users.get(message.userid)
    const customer = company.customers.get(message.externalUserid)
    const from = member ? `${member.name}（${member.userid}）` : message.userid
    const to = customer ? `${customer.name}（${customer.external_userid}）` : message.externalUserid
    const meta = `${TIME_FORMAT.format(message.at)} · 成员 ${from} → 客户 ${to}`
    const text = message.body.text ? `<pre>${escapeHtml(message.body.text.content)}</pre>` : ''
    const attachments = (message.body.attachments ?? []).map((attachment) => `<li>${renderAttachment(company, attachment)}</li>`)
    return `<article class="message"><div class="muted">${escapeHtml(meta)}</div>${text}${attachments.length > 0 ? `<ul class="attachments">${attachments.join('')}</ul>` : ''}</article>`
  })
  return `<section id="welcome-messages">
<h2>欢迎语（${messages.length}）</h2>
${items.length === 0 ? '<p class="muted">我们的应用还没有发过欢迎语。</p>' : items.join('\n')}
</section>`
}

/** One attachment of a welcome (wecom-protocol.md §3.10): its kind, then what identifies it; media by their file names. */
function renderAttachment(company: SimCompany, attachment: Record<string, unknown>): string {
  const msgtype = typeof attachment.msgtype === 'string' ? attachment.msgtype : ''
  const part = attachment[msgtype]
  const fields = typeof part === 'object' && part !== null ? (part as Record<string, unknown>) : {}
  const text = (name: string) => (typeof fields[name] === 'string' ? fields[name] : '')
  const media = (name: string) => {
    const id = text(name)
    const filename = company.media.get(id)?.filename
    return escapeHtml(filename ? `${filename}（${id}）` : id)
  }
  switch (msgtype) {
    case 'image':
      return `[图片] ${text('media_id') ? media('media_id') : renderLink(text('pic_url'), text('pic_url'))}`
    case 'link': {
      const desc = text('desc') ? ` <span class="muted">${escapeHtml(text('desc'))}</span>` : ''
      return `[链接] ${renderLink(text('url'), text('title'))}${desc} <span class="muted">${escapeHtml(text('url'))}</span>`
    }
    case 'miniprogram':
      return `[小程序] ${escapeHtml(`${text('title')}（${text('appid')} ${text('page')}）`)}`
    case 'video':
      return `[视频] ${media('media_id')}`
    case 'file':
      return `[文件] ${media('media_id')}`
    default:
      return `<pre>${escapeHtml(JSON.stringify(attachment).slice(0, OPAQUE_PREVIEW_CHARS))}</pre>`
  }
}

/** A link the visitor may follow (http(s) or this site's paths); anything else shows as text. */
function renderLink(url: string, label: string): string {
  if (!isFollowableUrl(url)) return escapeHtml(label)
  return `<a href="${escapeHtml(url)}" rel="noopener noreferrer">${escapeHtml(label)}</a>`
}

/** text: as text; markdown: rendered; textcard: a card with its button; anything else: JSON. */
function renderBody(body: Record<string, unknown>, view: MessageView): string {
  const msgtype = typeof body.msgtype === 'string' ? body.msgtype : ''
  const part = body[msgtype]
  const fields = typeof part === 'object' && part !== null ? (part as Record<string, unknown>) : {}
  const text = (name: string) => (typeof fields[name] === 'string' ? fields[name] : '')
  if (msgtype === 'textcard') {
    return `<div class="card"><strong>${escapeHtml(text('title'))}</strong><div class="card-body">${renderCardDescription(text('description'))}</div>${renderCardLink(text('url'), text('btntxt') || '详情', view)}</div>`
  }
  if (msgtype === 'markdown' && typeof fields.content === 'string') {
    return `<div class="markdown">${renderMarkdown(fields.content, (userid) => view.company.users.get(userid)?.name)}</div>`
  }
  if (typeof fields.content === 'string') return `<pre>${escapeHtml(fields.content)}</pre>`
  return `<pre>${escapeHtml(JSON.stringify(part ?? body).slice(0, OPAQUE_PREVIEW_CHARS))}</pre>`
}

/**
 * The card's button. In WeCom the recipient taps it in their own client, already logged in;
 * here a button per recipient logs this browser in as them, then opens the link.
 */
function renderCardLink(url: string, button: string, { basePath, company, recipients }: MessageView): string {
  const shown = `<div class="muted">链接：${escapeHtml(url)}</div>`
  if (!isFollowableUrl(url)) return shown
  if (recipients.length === 0) return `<a class="card-button" href="${escapeHtml(url)}" rel="noopener noreferrer">${escapeHtml(button)}</a>${shown}`
  const forms = recipients.map((userid) => {
    const name = company.users.get(userid)?.name ?? userid
    const label = recipients.length === 1 ? button : `${button}（${name}）`
    return `<form method="post" action="${escapeHtml(`${basePath}${DEMO_ACTION_PREFIX}open-link`)}" class="card-action"><input type="hidden" name="userid" value="${escapeHtml(userid)}"><input type="hidden" name="url" value="${escapeHtml(url)}"><button type="submit" aria-label="${escapeHtml(`以${name}的身份打开：${button}`)}">${escapeHtml(label)}</button></form>`
  })
  return `${forms.join('')}${shown}`
}
