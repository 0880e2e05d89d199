import { randomBytes } from 'node:crypto'
import type { ApiRequest, EndpointTable } from './apiRequest'
import { optionalString, utf8Bytes } from './apiRequest'
import { refuse } from './errors'
import { requireLiveMedia } from './mediaApi'
import type { SimCompany, SimMediaType } from './state'

/**
 * Welcome messages (wecom-protocol.md §3.10, doc 92137): an add event's WelcomeCode lets one
 * app send one welcome, within 20 s of the event's CreateTime.
 */

/** A welcome accepted by send_welcome_msg. */
export interface WelcomeMessageRecord {
  welcomeCode: string
  /** The member who welcomes, and the customer welcomed: the relation of the add event. */
  userid: string
  externalUserid: string
  /** What was sent: `text` and/or `attachments`, as the caller gave them. */
  body: { text?: { content: string }; attachments?: Record<string, unknown>[] }
  at: number
}

export const WELCOME_CODE_TTL_MS = 20_000
/** Codes are kept a while past their 20 s, so that a late second use still answers 41051. */
const WELCOME_CODE_KEPT_MS = 3600_000
const TEXT_MAX_BYTES = 4000
const MAX_ATTACHMENTS = 9
const LINK_TITLE_MAX_BYTES = 128
const LINK_DESC_MAX_BYTES = 512
const MINIPROGRAM_TITLE_MAX_BYTES = 64

/** A fresh code for the relation made by an add event created at `createTime` (seconds). */
export function issueWelcomeCode(company: SimCompany, relation: { userid: string; externalUserid: string }, createTime: number): string {
  for (const [code, issued] of company.welcomeCodes) {
    if ((createTime - issued.createTime) * 1000 > WELCOME_CODE_KEPT_MS) company.welcomeCodes.delete(code)
  }
  const welcomeCode = randomBytes(32).toString('base64url')
  company.welcomeCodes.set(welcomeCode, { welcome_code: welcomeCode, userid: relation.userid, external_userid: relation.externalUserid, createTime, used: false })
  return welcomeCode
}

export interface WelcomeApiDeps {
  company: SimCompany
  now: () => number
  welcomeMessages: WelcomeMessageRecord[]
}

export function welcomeEndpoints({ company, now, welcomeMessages }: WelcomeApiDeps): EndpointTable {
  return {
    '/cgi-bin/externalcontact/send_welcome_msg': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        const welcomeCode = optionalString(body.welcome_code, 'welcome_code')
        if (!welcomeCode) refuse(41049)
        const nowMs = now()
        // The content is checked before the code is spent: a refused welcome leaves it usable.
        const content = welcomeContent(company, body, nowMs)
        const issued = company.welcomeCodes.get(welcomeCode)
        if (!issued) refuse(41050, `invalid welcome_code ${welcomeCode}`)
        if (issued.used) refuse(41051)
        if (nowMs > issued.createTime * 1000 + WELCOME_CODE_TTL_MS) refuse(41050, 'welcome_code expired: it lasts 20 s from the add event')
        // The code stays usable: the customer's agreement brings a fresh one anyway (msg_audit_approved).
        if (awaitsAuditConsent(company, issued.userid, issued.external_userid)) refuse(41053, 'the customer has not agreed to the chat-archive notice yet')
        issued.used = true
        welcomeMessages.push({ welcomeCode, userid: issued.userid, externalUserid: issued.external_userid, body: content, at: nowMs })
        return {}
      },
    },
  }
}

/** The member is in the chat-archive range and the customer has not agreed yet (doc 92137, 41053). */
function awaitsAuditConsent(company: SimCompany, userid: string, externalUserid: string): boolean {
  return company.users.get(userid)?.msgAudit === true && company.follow(userid, externalUserid)?.auditApproved !== true
}

function welcomeContent(company: SimCompany, body: Record<string, unknown>, nowMs: number): WelcomeMessageRecord['body'] {
  const text = objectOrUndefined(body.text, 'text')
  const content = text ? (optionalString(text.content, 'text.content') ?? '') : ''
  // The errcode for an over-long text is not documented for this API [U]: 40058, naming the limit.
  if (utf8Bytes(content) > TEXT_MAX_BYTES) refuse(40058, `text.content exceed max length ${TEXT_MAX_BYTES} bytes. invalid Request Parameter`)
  if (body.attachments !== undefined && body.attachments !== null && !Array.isArray(body.attachments)) {
    refuse(40058, 'attachments must be a list. invalid Request Parameter')
  }
  const attachments = (body.attachments ?? []) as unknown[]
  // 41048 would be 群发's "no customer to send to"; the code for an empty welcome is not documented [U].
  if (content === '' && attachments.length === 0) refuse(40058, 'text and attachments are both empty. invalid Request Parameter')
  if (attachments.length > MAX_ATTACHMENTS) refuse(41064, `${attachments.length} attachments, at most ${MAX_ATTACHMENTS}`)
  const checked = attachments.map((attachment, index) => checkedAttachment(company, attachment, `attachments[${index}]`, nowMs))
  return { ...(content !== '' ? { text: { content } } : {}), ...(checked.length > 0 ? { attachments: checked } : {}) }
}

/** An attachment carries the object its msgtype names; media must be live ids of this corp (40007). */
function checkedAttachment(company: SimCompany, value: unknown, field: string, nowMs: number): Record<string, unknown> {
  const attachment = objectOrUndefined(value, field) ?? refuse(40058, `${field} is empty. invalid Request Parameter`)
  const msgtype = optionalString(attachment.msgtype, `${field}.msgtype`)
  if (msgtype !== 'image' && msgtype !== 'link' && msgtype !== 'miniprogram' && msgtype !== 'video' && msgtype !== 'file') {
    refuse(41065, `${field}.msgtype ${msgtype ?? '(missing)'}: image, link, miniprogram, video or file`)
  }
  const part = objectOrUndefined(attachment[msgtype], `${field}.${msgtype}`) ?? refuse(40058, `${field}.${msgtype} is missing: an attachment carries the object its msgtype names. invalid Request Parameter`)
  const string = (name: string) => optionalString(part[name], `${field}.${msgtype}.${name}`) ?? ''
  const media = (name: string, type: SimMediaType) => {
    const id = string(name)
    if (id === '') refuse(40007, `${field}.${msgtype}.${name} is empty. invalid media_id`)
    requireLiveMedia(company, id, type, nowMs, `${field}.${msgtype}.${name}`)
  }
  switch (msgtype) {
    case 'image':
      // media_id wins when both are given (§3.10).
      if (string('media_id') !== '' || string('pic_url') === '') media('media_id', 'image')
      break
    case 'link':
      if (string('title') === '') refuse(41016, `${field}.link.title is empty`)
      if (string('url') === '') refuse(41010, `${field}.link.url is empty`)
      checkBytes(string('title'), LINK_TITLE_MAX_BYTES, `${field}.link.title`)
      checkBytes(string('desc'), LINK_DESC_MAX_BYTES, `${field}.link.desc`)
      break
    case 'miniprogram':
      if (string('title') === '') refuse(41016, `${field}.miniprogram.title is empty`)
      checkBytes(string('title'), MINIPROGRAM_TITLE_MAX_BYTES, `${field}.miniprogram.title`)
      for (const name of ['appid', 'page']) if (string(name) === '') refuse(40058, `${field}.miniprogram.${name} is empty. invalid Request Parameter`)
      media('pic_media_id', 'image')
      break
    case 'video':
    case 'file':
      media('media_id', msgtype)
      break
  }
  return structuredClone(attachment)
}

function checkBytes(value: string, limit: number, name: string): void {
  if (utf8Bytes(value) > limit) refuse(40058, `${name} exceed max length ${limit} bytes. invalid Request Parameter`)
}

function objectOrUndefined(value: unknown, name: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) refuse(40058, `${name} must be an object. invalid Request Parameter`)
  return value as Record<string, unknown>
}
