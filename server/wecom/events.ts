/** WeCom callback events (wecom-protocol.md §2) as a discriminated union on `event`. */
import { parseXml, type XmlObject } from './xml'

interface EventBase {
  /** CreateTime, in seconds, as WeCom sent it. */
  createTime: number
}

export const EXTERNAL_CONTACT_CHANGES = [
  'add_external_contact',
  'edit_external_contact',
  'add_half_external_contact',
  'del_external_contact',
  'del_follow_user',
  'transfer_fail',
  // The customer agreed to the chat-archive notice: may carry a fresh WelcomeCode (doc 92005).
  'msg_audit_approved',
] as const

export interface ExternalContactEvent extends EventBase {
  event: 'change_external_contact'
  changeType: (typeof EXTERNAL_CONTACT_CHANGES)[number]
  userId: string
  externalUserId: string
  state?: string
  welcomeCode?: string
  /** DELETE_BY_TRANSFER on del_external_contact after an in-service transfer. */
  source?: string
  /** customer_refused or customer_limit_exceed, on transfer_fail. */
  failReason?: string
}

export const EXTERNAL_TAG_CHANGES = ['create', 'update', 'delete', 'shuffle'] as const

export interface ExternalTagEvent extends EventBase {
  event: 'change_external_tag'
  changeType: (typeof EXTERNAL_TAG_CHANGES)[number]
  /** The tag or group id; empty on a shuffle of every group. */
  id: string
  tagType?: string
  strategyId?: string
}

export const EXTERNAL_CHAT_CHANGES = ['create', 'update', 'dismiss'] as const

export interface ExternalChatEvent extends EventBase {
  event: 'change_external_chat'
  changeType: (typeof EXTERNAL_CHAT_CHANGES)[number]
  chatId: string
  updateDetail?: string
}

export const CONTACT_CHANGES = [
  'create_user',
  'update_user',
  'delete_user',
  'create_party',
  'update_party',
  'delete_party',
  'update_tag',
] as const

export interface ContactEvent extends EventBase {
  event: 'change_contact'
  changeType: (typeof CONTACT_CHANGES)[number]
  userId?: string
  /** Only when a userid was changed. */
  newUserId?: string
  /** The department id, on *_party. */
  partyId?: string
}

/** Anything we do not handle: journaled, then marked ignored. */
export interface UnknownEvent extends EventBase {
  event: 'unknown'
  name: string
  changeType: string
}

export type WecomEvent = ExternalContactEvent | ExternalTagEvent | ExternalChatEvent | ContactEvent | UnknownEvent

const text = (xml: XmlObject, name: string): string | undefined => {
  const value = xml[name]
  return typeof value === 'string' ? value : undefined
}

const isOneOf = <T extends string>(list: readonly T[], value: string): value is T => (list as readonly string[]).includes(value)

/** The Event and ChangeType names of a plaintext, for the inbox's columns; '' when absent. */
export function eventNames(xml: XmlObject): { event: string; changeType: string } {
  return { event: text(xml, 'Event') ?? text(xml, 'MsgType') ?? '', changeType: text(xml, 'ChangeType') ?? '' }
}

/** Types a decrypted plaintext; anything unexpected becomes an UnknownEvent, never an error. */
export function parseEvent(plaintext: string): WecomEvent {
  const xml = parseXml(plaintext) ?? {}
  const { event, changeType } = eventNames(xml)
  const createTime = Number(text(xml, 'CreateTime') ?? 0) || 0
  const unknown: UnknownEvent = { event: 'unknown', name: event, changeType, createTime }

  switch (event) {
    case 'change_external_contact': {
      const userId = text(xml, 'UserID')
      const externalUserId = text(xml, 'ExternalUserID')
      if (!isOneOf(EXTERNAL_CONTACT_CHANGES, changeType) || !userId || !externalUserId) return unknown
      return {
        event,
        changeType,
        createTime,
        userId,
        externalUserId,
        state: text(xml, 'State'),
        welcomeCode: text(xml, 'WelcomeCode'),
        source: text(xml, 'Source'),
        failReason: text(xml, 'FailReason'),
      }
    }
    case 'change_external_tag': {
      if (!isOneOf(EXTERNAL_TAG_CHANGES, changeType)) return unknown
      return { event, changeType, createTime, id: text(xml, 'Id') ?? '', tagType: text(xml, 'TagType'), strategyId: text(xml, 'StrategyId') }
    }
    case 'change_external_chat': {
      const chatId = text(xml, 'ChatId')
      if (!isOneOf(EXTERNAL_CHAT_CHANGES, changeType) || !chatId) return unknown
      return { event, changeType, createTime, chatId, updateDetail: text(xml, 'UpdateDetail') }
    }
    case 'change_contact': {
      if (!isOneOf(CONTACT_CHANGES, changeType)) return unknown
      return { event, changeType, createTime, userId: text(xml, 'UserID'), newUserId: text(xml, 'NewUserID'), partyId: text(xml, 'Id') }
    }
    default:
      return unknown
  }
}
