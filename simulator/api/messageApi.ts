import { randomBytes } from 'node:crypto'
import type { ApiRequest, EndpointTable } from './apiRequest'
import { optionalInteger, optionalString, utf8Bytes } from './apiRequest'
import { refuse } from './errors'
import type { SimCompany } from './state'

/** An app message accepted by message/send. */
export interface AppMessageRecord {
  body: Record<string, unknown>
  at: number
  msgid: string
  /** The members it reached (valid recipients only). */
  recipients: string[]
}

/** A group-robot message accepted by webhook/send. */
export interface RobotMessageRecord {
  key: string
  body: Record<string, unknown>
  at: number
}

/** App message text and markdown: 2048 bytes (wecom-protocol.md §3.8). */
const APP_CONTENT_MAX_BYTES = 2048
/** Robots: text 2048 bytes, markdown 4096 bytes; 20 messages a minute per robot (§3.9). */
const ROBOT_TEXT_MAX_BYTES = 2048
const ROBOT_MARKDOWN_MAX_BYTES = 4096
const ROBOT_RATE_LIMIT = 20
const ROBOT_RATE_WINDOW_MS = 60_000
/** Robot message types we accept without looking inside. */
const ROBOT_OPAQUE_TYPES = new Set(['image', 'news', 'file', 'voice', 'template_card'])

export interface MessageApiDeps {
  company: SimCompany
  agentId: number
  /** Read on every call, so a test may change the simulator's options.robotKeys. */
  robotKeys: () => readonly string[]
  now: () => number
  appMessages: AppMessageRecord[]
  robotMessages: RobotMessageRecord[]
}

/** message/send and webhook/send. */
export function messageEndpoints(deps: MessageApiDeps): EndpointTable {
  const robotLimiter = new RobotRateLimiter(deps.now)
  const duplicates = new DuplicateCheck(deps.now)
  return {
    '/cgi-bin/message/send': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        if (optionalInteger(body.agentid, 'agentid') !== deps.agentId) refuse(40056)
        validateAppContent(body)
        const { delivered, invalid } = resolveRecipients(deps.company, body)
        if (delivered.length === 0) refuse(81013, undefined, invalid)
        const msgid = randomBytes(24).toString('base64url')
        const fresh = duplicates.admit(body, delivered)
        if (fresh.length > 0) deps.appMessages.push({ body, at: deps.now(), msgid, recipients: fresh })
        return { ...invalid, msgid }
      },
    },
    '/cgi-bin/webhook/send': {
      method: 'POST',
      token: false,
      handle({ query, body }: ApiRequest) {
        const key = query.key
        if (!key || !deps.robotKeys().includes(key)) refuse(93000)
        validateRobotContent(body)
        robotLimiter.admit(key)
        deps.robotMessages.push({ key, body, at: deps.now() })
        return {}
      },
    },
  }
}

function contentOf(body: Record<string, unknown>, msgtype: string): string | undefined {
  const part = body[msgtype]
  if (typeof part !== 'object' || part === null) return undefined
  return optionalString((part as Record<string, unknown>).content, `${msgtype}.content`)
}

function fieldOf(body: Record<string, unknown>, msgtype: string, field: string): string | undefined {
  const part = body[msgtype]
  if (typeof part !== 'object' || part === null) return undefined
  return optionalString((part as Record<string, unknown>)[field], `${msgtype}.${field}`)
}

/** The message types we use: text, markdown (≤2048 bytes) and textcard (title, description, url). */
function validateAppContent(body: Record<string, unknown>): void {
  const msgtype = optionalString(body.msgtype, 'msgtype')
  switch (msgtype) {
    case 'text':
    case 'markdown': {
      const content = contentOf(body, msgtype)
      if (!content) refuse(44004)
      if (utf8Bytes(content) > APP_CONTENT_MAX_BYTES) refuse(45002)
      return
    }
    case 'textcard':
      if (!fieldOf(body, 'textcard', 'title')) refuse(41016)
      if (!fieldOf(body, 'textcard', 'description')) refuse(41033)
      if (!fieldOf(body, 'textcard', 'url')) refuse(41010)
      return
    default:
      refuse(40008)
  }
}

interface Recipients {
  delivered: string[]
  /** invaliduser (lower-cased, as WeCom returns them), invalidparty, invalidtag: only the non-empty ones. */
  invalid: Record<string, string>
}

/** touser (or @all), toparty and totag, `|`-separated; address-book tags are not simulated. */
function resolveRecipients(company: SimCompany, body: Record<string, unknown>): Recipients {
  const users = splitTargets(body.touser, 'touser')
  const parties = splitTargets(body.toparty, 'toparty')
  const tags = splitTargets(body.totag, 'totag')
  if (users.length + parties.length + tags.length === 0) refuse(82001)

  const active = [...company.users.values()].filter((user) => user.status === 1)
  // WeCom userids are case-insensitive.
  const byLowerId = new Map(active.map((user) => [user.userid.toLowerCase(), user.userid]))
  const delivered = new Set<string>()
  const invalidUsers: string[] = []
  const invalidParties: string[] = []

  for (const target of users) {
    if (target === '@all') {
      for (const user of active) delivered.add(user.userid)
      continue
    }
    const userid = byLowerId.get(target.toLowerCase())
    if (userid) delivered.add(userid)
    else invalidUsers.push(target.toLowerCase())
  }
  for (const party of parties) {
    const id = Number(party)
    if (!company.departments.has(id)) {
      invalidParties.push(party)
      continue
    }
    for (const user of active) if (user.department.includes(id)) delivered.add(user.userid)
  }

  const invalid: Record<string, string> = {}
  if (invalidUsers.length > 0) invalid.invaliduser = invalidUsers.join('|')
  if (invalidParties.length > 0) invalid.invalidparty = invalidParties.join('|')
  if (tags.length > 0) invalid.invalidtag = tags.join('|')
  return { delivered: [...delivered], invalid }
}

function splitTargets(value: unknown, name: string): string[] {
  const text = typeof value === 'number' ? String(value) : optionalString(value, name)
  return (text ?? '').split('|').map((target) => target.trim()).filter((target) => target !== '')
}

/** Robots reject oversized content with 40058 and a message naming the limit (seen in real answers). */
function validateRobotContent(body: Record<string, unknown>): void {
  const msgtype = optionalString(body.msgtype, 'msgtype')
  if (msgtype === 'text' || msgtype === 'markdown' || msgtype === 'markdown_v2') {
    const content = contentOf(body, msgtype)
    if (!content) refuse(44004)
    const limit = msgtype === 'text' ? ROBOT_TEXT_MAX_BYTES : ROBOT_MARKDOWN_MAX_BYTES
    if (utf8Bytes(content) > limit) refuse(40058, `${msgtype}.content exceed max length ${limit}. invalid Request Parameter`)
    return
  }
  if (!msgtype || !ROBOT_OPAQUE_TYPES.has(msgtype)) refuse(40008)
}

/** duplicate_check_interval: default 1800 s, at most 4 h (wecom-protocol.md §3.8). */
const DUPLICATE_CHECK_DEFAULT_S = 1800
const DUPLICATE_CHECK_MAX_S = 4 * 3600

/**
 * enable_duplicate_check: the same content to the same member within the interval is
 * accepted but not delivered again [U: how WeCom answers is unconfirmed; it says ok here].
 */
class DuplicateCheck {
  private readonly seen = new Map<string, number>()

  constructor(private readonly now: () => number) {}

  /** The recipients who get this message: all of them unless the check is on and they had it lately. */
  admit(body: Record<string, unknown>, recipients: string[]): string[] {
    if (Number(body.enable_duplicate_check) !== 1) return recipients
    const interval = Math.min(DUPLICATE_CHECK_MAX_S, optionalInteger(body.duplicate_check_interval, 'duplicate_check_interval') ?? DUPLICATE_CHECK_DEFAULT_S) * 1000
    const msgtype = String(body.msgtype)
    const content = JSON.stringify(body[msgtype] ?? null)
    const now = this.now()
    return recipients.filter((userid) => {
      const key = `${userid}\n${msgtype}\n${content}`
      const last = this.seen.get(key)
      if (last !== undefined && now - last < interval) return false
      this.seen.set(key, now)
      return true
    })
  }
}

/** 20 accepted messages per robot in any 60 s window, measured on the simulator's clock. */
class RobotRateLimiter {
  private readonly sent = new Map<string, number[]>()

  constructor(private readonly now: () => number) {}

  admit(key: string): void {
    const now = this.now()
    const recent = (this.sent.get(key) ?? []).filter((at) => now - at < ROBOT_RATE_WINDOW_MS)
    if (recent.length >= ROBOT_RATE_LIMIT) {
      this.sent.set(key, recent)
      refuse(45009)
    }
    recent.push(now)
    this.sent.set(key, recent)
  }
}
