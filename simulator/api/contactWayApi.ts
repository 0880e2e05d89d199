import { randomBytes } from 'node:crypto'
import QRCode from 'qrcode'
import type { ApiRequest, EndpointTable } from './apiRequest'
import { decodeCursor, integerList, optionalBoolean, optionalInteger, optionalString, page, stringList } from './apiRequest'
import { subtree } from './directoryApi'
import { refuse } from './errors'
import type { SimCompany, SimContactWay, SimUser } from './state'

/**
 * 「联系我」 contact ways (wecom-protocol.md §3.12, doc 92228). Like every API action they emit
 * no callback (doc 92130): only a customer's scan does (WecomSideChanges.customerScansContactWay).
 */

/** Where a way's QR code image is served, under the simulator's base: `<prefix><config_id>.png`. */
export const CONTACT_WAY_QR_PREFIX = '/contact-way/qr/'
/**
 * What the QR code encodes: the page a customer's phone would open on scanning it,
 * `?config_id=…`. The demo console serves it (its "customer scans" form).
 */
export const CONTACT_WAY_SCAN_PATH = '/contact-way/scan'

/** WeCom's default quota of API-created ways per corp (shared with 「加入群聊」, which we do not simulate). */
export const DEFAULT_CONTACT_WAY_QUOTA = 500_000
/** remark and state: at most 30 characters each. */
const TEXT_MAX_CHARS = 30
/** At most 100 members once departments are expanded (41041). */
const MAX_MEMBERS = 100
/** list_contact_way: limit 100 by default, at most 1000; the window defaults to the last 90 days. */
const LIST_DEFAULT_LIMIT = 100
const LIST_MAX_LIMIT = 1000
const LIST_DEFAULT_SPAN_S = 90 * 24 * 3600
/** Button styles, scene 1 only: 1–3 for one member, 1–2 for several. */
const MAX_STYLE: Record<1 | 2, number> = { 1: 3, 2: 2 }

export interface ContactWaySettings {
  /** Read on every add, so a test may lower it. */
  quota: () => number
  now: () => number
}

export function contactWayEndpoints(company: SimCompany, settings: ContactWaySettings): EndpointTable {
  return {
    '/cgi-bin/externalcontact/add_contact_way': {
      method: 'POST',
      token: true,
      handle({ body, baseUrl }: ApiRequest) {
        const way = newContactWay(company, body, Math.floor(settings.now() / 1000))
        if (company.contactWays.size >= settings.quota()) refuse(41045)
        company.contactWays.set(way.config_id, way)
        return { config_id: way.config_id, ...(way.scene === 2 ? { qr_code: contactWayQrUrl(baseUrl, way.config_id) } : {}) }
      },
    },
    '/cgi-bin/externalcontact/get_contact_way': {
      method: 'POST',
      token: true,
      handle: ({ body, baseUrl }: ApiRequest) => ({ contact_way: presentContactWay(requireContactWay(company, body), baseUrl) }),
    },
    '/cgi-bin/externalcontact/list_contact_way': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        const nowSeconds = Math.floor(settings.now() / 1000)
        const start = optionalInteger(body.start_time, 'start_time') ?? nowSeconds - LIST_DEFAULT_SPAN_S
        const end = optionalInteger(body.end_time, 'end_time') ?? nowSeconds
        if (start > end) refuse(40058, 'start_time is after end_time. invalid Request Parameter')
        const requested = optionalInteger(body.limit, 'limit') ?? LIST_DEFAULT_LIMIT
        // Whether WeCom clamps or refuses a larger limit is [U]; batch/get_by_user clamps.
        const limit = requested <= 0 ? LIST_DEFAULT_LIMIT : Math.min(requested, LIST_MAX_LIMIT)
        const inWindow = [...company.contactWays.values()].filter((way) => way.createTime >= start && way.createTime <= end)
        const { items, nextCursor } = page(inWindow, decodeCursor(optionalString(body.cursor, 'cursor')), limit)
        return { contact_way: items.map((way) => ({ config_id: way.config_id })), next_cursor: nextCursor }
      },
    },
    '/cgi-bin/externalcontact/update_contact_way': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        const way = requireContactWay(company, body)
        // type and scene are not parameters here: they never change.
        company.contactWays.set(way.config_id, updatedContactWay(company, way, body))
        return {}
      },
    },
    '/cgi-bin/externalcontact/del_contact_way': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        company.contactWays.delete(requireContactWay(company, body).config_id)
        return {}
      },
    },
  }
}

export function contactWayQrUrl(baseUrl: string, configId: string): string {
  return `${baseUrl}${CONTACT_WAY_QR_PREFIX}${configId}.png`
}

export function contactWayScanUrl(baseUrl: string, configId: string): string {
  return `${baseUrl}${CONTACT_WAY_SCAN_PATH}?${new URLSearchParams({ config_id: configId })}`
}

/** The PNG of a way's QR code, encoding its scan page; undefined when the way is gone. */
export async function contactWayQrPng(company: SimCompany, configId: string, baseUrl: string): Promise<Buffer | undefined> {
  const way = company.contactWays.get(configId)
  if (!way || way.scene !== 2) return undefined
  return QRCode.toBuffer(contactWayScanUrl(baseUrl, configId), { type: 'png', margin: 2, width: 256 })
}

/** Members who can take a customer: active, with 客户联系. */
export function canServeCustomers(user: SimUser | undefined): user is SimUser {
  return user !== undefined && user.status === 1 && user.customerContact
}

/**
 * The way's members after departments are expanded (sub-departments included): its users,
 * then for type 2 the members of its departments; `party` counts only for type 2 (§3.12).
 */
export function contactWayMembers(company: SimCompany, way: Pick<SimContactWay, 'type' | 'user' | 'party'>): string[] {
  const members = new Set(way.user)
  if (way.type === 2 && way.party.length > 0) {
    const departments = new Set(way.party.flatMap((id) => subtree(company, id).map((department) => department.id)))
    for (const user of company.users.values()) if (user.department.some((id) => departments.has(id))) members.add(user.userid)
  }
  return [...members]
}

function requireContactWay(company: SimCompany, body: Record<string, unknown>): SimContactWay {
  const configId = optionalString(body.config_id, 'config_id')
  if (!configId) refuse(41043)
  return company.contactWays.get(configId) ?? refuse(41044, `invalid config_id ${configId}`)
}

function newContactWay(company: SimCompany, body: Record<string, unknown>, nowSeconds: number): SimContactWay {
  const type = optionalInteger(body.type, 'type')
  const scene = optionalInteger(body.scene, 'scene')
  if (type === undefined) refuse(41037)
  if (scene === undefined) refuse(41038)
  if (type !== 1 && type !== 2) refuse(41039, `invalid type ${type}: 1 or 2`)
  if (scene !== 1 && scene !== 2) refuse(41040, `invalid scene ${scene}: 1 or 2`)
  const way: SimContactWay = {
    config_id: randomBytes(16).toString('hex'),
    type,
    scene,
    remark: '',
    skip_verify: true,
    state: '',
    user: [],
    party: [],
    is_exclusive: optionalBoolean(body.is_exclusive, 'is_exclusive') ?? false,
    createTime: nowSeconds,
    scans: 0,
  }
  return applyEditableFields(company, way, body)
}

function updatedContactWay(company: SimCompany, way: SimContactWay, body: Record<string, unknown>): SimContactWay {
  return applyEditableFields(company, { ...way }, body)
}

/** The fields add and update share: given ones replace, omitted ones stay; then the whole is checked. */
function applyEditableFields(company: SimCompany, way: SimContactWay, body: Record<string, unknown>): SimContactWay {
  const style = optionalInteger(body.style, 'style')
  if (style !== undefined) {
    // Reported to fail with 41040 when given for a QR code (§3.12 [S]).
    if (way.scene === 2) refuse(41040, 'style is only for scene 1 (a mini-program button)')
    if (style < 1 || style > MAX_STYLE[way.type]) refuse(41042, `invalid style ${style}: 1..${MAX_STYLE[way.type]} for type ${way.type}`)
    way.style = style
  }
  const remark = optionalString(body.remark, 'remark')
  const state = optionalString(body.state, 'state')
  // WeCom's errcode for an over-long remark or state is unknown [U]: 40058, naming the field, as for other oversized parameters.
  checkTextLength(remark, 'remark')
  checkTextLength(state, 'state')
  if (remark !== undefined) way.remark = remark
  if (state !== undefined) way.state = state
  const skipVerify = optionalBoolean(body.skip_verify, 'skip_verify')
  if (skipVerify !== undefined) way.skip_verify = skipVerify
  if (body.user !== undefined && body.user !== null) way.user = stringList(body.user, 'user')
  if (body.party !== undefined && body.party !== null) way.party = integerList(body.party, 'party')
  checkMembers(company, way)
  return way
}

function checkTextLength(value: string | undefined, name: string): void {
  const length = value === undefined ? 0 : [...value].length
  if (length > TEXT_MAX_CHARS) refuse(40058, `${name} is ${length} characters, exceed max length ${TEXT_MAX_CHARS}. invalid Request Parameter`)
}

/** Type 1: exactly one user; every user active with 客户联系 (41054); ≤100 members in all (41041). */
function checkMembers(company: SimCompany, way: SimContactWay): void {
  // The errcodes for a wrong number of users are not documented [U]: 40058, naming the rule.
  if (way.type === 1 && way.user.length !== 1) refuse(40058, `type 1 needs exactly one userid in user, got ${way.user.length}. invalid Request Parameter`)
  if (way.type === 2 && way.user.length === 0 && way.party.length === 0) refuse(40058, 'user and party are both empty. invalid Request Parameter')
  for (const userid of way.user) {
    if (!canServeCustomers(company.users.get(userid))) refuse(41054, `user ${userid} is not an active member with 客户联系`)
  }
  // An unknown department: 60123 as elsewhere [U for this API].
  if (way.type === 2) for (const id of way.party) if (!company.departments.has(id)) refuse(60123, `invalid party id ${id}`)
  const members = contactWayMembers(company, way).length
  if (members > MAX_MEMBERS) refuse(41041, `${members} members after expanding departments, more than ${MAX_MEMBERS}`)
}

/** get_contact_way's contact_way: style only for scene 1, qr_code only for scene 2. */
function presentContactWay(way: SimContactWay, baseUrl: string): Record<string, unknown> {
  return {
    config_id: way.config_id,
    type: way.type,
    scene: way.scene,
    ...(way.scene === 1 && way.style !== undefined ? { style: way.style } : {}),
    remark: way.remark,
    skip_verify: way.skip_verify,
    state: way.state,
    ...(way.scene === 2 ? { qr_code: contactWayQrUrl(baseUrl, way.config_id) } : {}),
    user: [...way.user],
    party: [...way.party],
    is_exclusive: way.is_exclusive,
  }
}
