import type { ApiRequest, EndpointTable } from './apiRequest'
import { decodeCursor, encodeCursor, maxLength, optionalInteger, optionalString, page, stringList } from './apiRequest'
import { refuse } from './errors'
import type { SimCompany, SimCustomer, SimFollow, SimUser } from './state'

/** batch/get_by_user: at most 100 members per call; limit defaults to 50 and is clamped to 100. */
const BATCH_MAX_USERS = 100
const BATCH_DEFAULT_LIMIT = 50
const BATCH_MAX_LIMIT = 100

export interface CustomerApiSettings {
  /** Page size of follow_user in externalcontact/get (WeCom: 500). */
  followUserPageSize: number
}

/** Customers and follow relations (wecom-protocol.md §3.5, §3.7). */
export function customerEndpoints(company: SimCompany, settings: CustomerApiSettings): EndpointTable {
  return {
    '/cgi-bin/externalcontact/get_follow_user_list': {
      method: 'GET',
      token: true,
      handle() {
        const members = [...company.users.values()].filter((user) => user.customerContact && user.status === 1)
        return { follow_user: members.map((user) => user.userid) }
      },
    },
    '/cgi-bin/externalcontact/list': {
      method: 'GET',
      token: true,
      handle({ query }: ApiRequest) {
        const user = requireMember(company, query.userid)
        if (!user.customerContact) refuse(84074)
        const externalUserids = company.followsOfUser(user.userid).map((follow) => follow.external_userid)
        // Observed in mocks (wecom-protocol.md §3.5 [S/U]): a member without customers gets 84061.
        if (externalUserids.length === 0) refuse(84061, undefined, { external_userid: [] })
        return { external_userid: externalUserids }
      },
    },
    '/cgi-bin/externalcontact/get': {
      method: 'GET',
      token: true,
      handle({ query }: ApiRequest) {
        const customer = requireCustomer(company, query.external_userid)
        const follows = company.visibleFollowsOfCustomer(customer.external_userid)
        if (follows.length === 0) refuse(84061, undefined, { follow_user: [] })
        const { items, nextCursor } = page(follows, decodeCursor(query.cursor), settings.followUserPageSize)
        return {
          external_contact: presentCustomer(customer),
          follow_user: items.map((follow) => presentFollowUser(company, follow)),
          next_cursor: nextCursor,
        }
      },
    },
    '/cgi-bin/externalcontact/batch/get_by_user': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        const userids = [...new Set(stringList(body.userid_list, 'userid_list'))]
        if (userids.length === 0) refuse(40058, 'userid_list is empty. invalid Request Parameter')
        if (userids.length > BATCH_MAX_USERS) refuse(40058, `userid_list exceed max size ${BATCH_MAX_USERS}. invalid Request Parameter`)
        const requested = optionalInteger(body.limit, 'limit') ?? BATCH_DEFAULT_LIMIT
        const limit = requested <= 0 ? BATCH_DEFAULT_LIMIT : Math.min(requested, BATCH_MAX_LIMIT)
        const offset = decodeCursor(optionalString(body.cursor, 'cursor'))
        const { items, nextCursor } = pageOfRelations(company, userids, offset, limit)
        return {
          external_contact_list: items.flatMap((follow) => {
            const customer = company.customers.get(follow.external_userid)
            return customer ? [{ external_contact: presentCustomer(customer), follow_info: presentFollowInfo(follow) }] : []
          }),
          next_cursor: nextCursor,
        }
      },
    },
    '/cgi-bin/externalcontact/remark': {
      method: 'POST',
      token: true,
      handle({ body }: ApiRequest) {
        const follow = requireFollow(company, body)
        applyRemark(company, follow, body)
        return {}
      },
    },
  }
}

export function requireMember(company: SimCompany, userid: unknown): SimUser {
  if (userid === undefined || userid === '') refuse(41009)
  const user = company.users.get(String(userid))
  return user ?? refuse(60111, `invalid string value \`${String(userid)}\`. userid not found`)
}

export function requireCustomer(company: SimCompany, externalUserid: unknown): SimCustomer {
  const customer = typeof externalUserid === 'string' ? company.customers.get(externalUserid) : undefined
  return customer ?? refuse(40096, `invalid external userid: ${String(externalUserid ?? '')}`)
}

/** The relation named by a body's userid and external_userid; 84061 when there is none. */
export function requireFollow(company: SimCompany, body: Record<string, unknown>): SimFollow {
  const user = requireMember(company, optionalString(body.userid, 'userid'))
  const customer = requireCustomer(company, optionalString(body.external_userid, 'external_userid'))
  return company.follow(user.userid, customer.external_userid) ?? refuse(84061)
}

/**
 * A page of the members' relations, member by member in the order asked (unknown members add
 * nothing). The cursor is an offset into that sequence; whole members are skipped by length.
 */
function pageOfRelations(company: SimCompany, userids: string[], offset: number, limit: number): { items: SimFollow[]; nextCursor: string } {
  const lists = userids.filter((userid) => company.users.has(userid)).map((userid) => company.followsOfUser(userid))
  const total = lists.reduce((sum, follows) => sum + follows.length, 0)
  const items: SimFollow[] = []
  let skip = offset
  for (const follows of lists) {
    if (items.length === limit) break
    if (skip >= follows.length) {
      skip -= follows.length
      continue
    }
    items.push(...follows.slice(skip, skip + limit - items.length))
    skip = 0
  }
  const end = offset + items.length
  return { items, nextCursor: end < total ? encodeCursor(end) : '' }
}

function applyRemark(company: SimCompany, follow: SimFollow, body: Record<string, unknown>): void {
  const remark = optionalString(body.remark, 'remark')
  const description = optionalString(body.description, 'description')
  const remarkCompany = optionalString(body.remark_company, 'remark_company')
  const mobiles = body.remark_mobiles === undefined ? undefined : stringList(body.remark_mobiles, 'remark_mobiles')
  const picture = optionalString(body.remark_pic_mediaid, 'remark_pic_mediaid')
  if ([remark, description, remarkCompany, mobiles, picture].every((field) => field === undefined)) {
    refuse(40058, 'remark, description, remark_company, remark_mobiles and remark_pic_mediaid are all empty. invalid Request Parameter')
  }
  maxLength(remark, 20, 'remark')
  maxLength(description, 150, 'description')
  maxLength(remarkCompany, 20, 'remark_company')

  if (remark !== undefined) follow.remark = remark
  if (description !== undefined) follow.description = description
  // remark_company only applies to WeChat customers; WeCom ignores it for WeCom users.
  if (remarkCompany !== undefined && company.customers.get(follow.external_userid)?.type === 1) {
    follow.remark_corp_name = remarkCompany
  }
  // remark_mobiles replaces the list; [""] clears it.
  if (mobiles !== undefined) follow.remark_mobiles = mobiles.filter((mobile) => mobile !== '')
}

/** external_contact as WeCom shows it: company fields only for WeCom users (type 2). */
export function presentCustomer(customer: SimCustomer): Record<string, unknown> {
  const shown: Record<string, unknown> = {
    external_userid: customer.external_userid,
    name: customer.name,
    avatar: customer.avatar,
    type: customer.type,
    gender: customer.gender,
  }
  if (customer.unionid) shown.unionid = customer.unionid
  if (customer.type === 2) {
    shown.position = customer.position ?? ''
    shown.corp_name = customer.corp_name ?? ''
    shown.corp_full_name = customer.corp_full_name ?? ''
    shown.external_profile = { external_attr: [] }
  }
  return shown
}

/** A follow_user entry of externalcontact/get: tags with their names, empty fields present. */
function presentFollowUser(company: SimCompany, follow: SimFollow): Record<string, unknown> {
  const tags = follow.tagIds.flatMap((id) => {
    const tag = company.tags.get(id)
    const group = tag && company.tagGroups.get(tag.group_id)
    return tag && group ? [{ group_name: group.group_name, tag_name: tag.name, tag_id: tag.id, type: 1 }] : []
  })
  return { ...followBasics(follow), tags, ...followTail(follow) }
}

/** batch/get_by_user's follow_info: a bare tag_id list instead of tags. */
function presentFollowInfo(follow: SimFollow): Record<string, unknown> {
  return { ...followBasics(follow), tag_id: [...follow.tagIds], ...followTail(follow) }
}

function followBasics(follow: SimFollow): Record<string, unknown> {
  return { userid: follow.userid, remark: follow.remark, description: follow.description, createtime: follow.createtime }
}

function followTail(follow: SimFollow): Record<string, unknown> {
  return {
    ...(follow.remark_corp_name ? { remark_corp_name: follow.remark_corp_name } : {}),
    remark_mobiles: [...follow.remark_mobiles],
    oper_userid: follow.oper_userid,
    add_way: follow.add_way,
    ...(follow.state ? { state: follow.state } : {}),
  }
}
