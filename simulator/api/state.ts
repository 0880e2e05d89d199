import { randomBytes } from 'node:crypto'

/**
 * The simulated company: its address book, corp tags, customers and follow relations.
 * Field names follow WeCom's own JSON where the value is shown by an API; fields that only
 * the simulator knows (customerContact, tagIds, deletedByCustomer) are camelCase.
 */

export interface SimDepartment {
  id: number
  name: string
  parentid: number
  order: number
}

export type SimUserStatus = 1 | 2 | 4 | 5

export interface SimUser {
  userid: string
  name: string
  department: number[]
  /** Order of the member inside each of its departments, parallel to `department`. */
  order: number[]
  /** 1 where the member leads the department at the same index of `department`. */
  is_leader_in_dept: number[]
  direct_leader: string[]
  main_department: number
  position: string
  mobile: string
  /** WeCom answers gender as a string in user/get. */
  gender: '0' | '1' | '2'
  email: string
  avatar: string
  alias: string
  /** 1 active, 2 disabled, 4 not activated, 5 left the company. */
  status: SimUserStatus
  /** 客户联系 enabled: listed by get_follow_user_list and allowed to have customers. */
  customerContact: boolean
  /**
   * An admin set this member's welcome message in the admin console (客户联系 → 欢迎语): WeCom
   * sends it itself, so its add events carry no WelcomeCode (wecom-protocol.md §2.1).
   * Absent in snapshots kept before it existed, which reads as false.
   */
  adminWelcome?: boolean
  /**
   * In the corp's 会话存档 (chat archive) range: a customer must agree to the archive notice
   * before this member's welcome can be sent (41053), and agreeing sends msg_audit_approved
   * with a fresh WelcomeCode. Absent reads as false.
   */
  msgAudit?: boolean
}

export interface SimTagGroup {
  group_id: string
  group_name: string
  /** Seconds. */
  create_time: number
  /** A higher order sorts first. */
  order: number
}

export interface SimTag {
  id: string
  group_id: string
  name: string
  create_time: number
  order: number
}

export interface SimCustomer {
  external_userid: string
  name: string
  avatar: string
  /** 1 WeChat user, 2 WeCom user (only then position and corp names are shown). */
  type: 1 | 2
  gender: 0 | 1 | 2
  unionid?: string
  position?: string
  corp_name?: string
  corp_full_name?: string
}

export interface SimFollow {
  userid: string
  external_userid: string
  remark: string
  description: string
  /** Seconds. */
  createtime: number
  /** Corp tag ids on this relation, in the order they were marked. */
  tagIds: string[]
  remark_corp_name?: string
  remark_mobiles: string[]
  oper_userid: string
  add_way: number
  state?: string
  /** The customer deleted the member (del_follow_user): the one-way relation stays readable. */
  deletedByCustomer: boolean
  /** The customer agreed to the member's chat-archive notice (only asked when the member has msgAudit). */
  auditApproved?: boolean
}

/** A 「联系我」 way created through add_contact_way (wecom-protocol.md §3.12). */
export interface SimContactWay {
  config_id: string
  /** 1 one member, 2 several members. */
  type: 1 | 2
  /** 1 mini-program button, 2 QR code. */
  scene: 1 | 2
  /** Scene 1 only. */
  style?: number
  remark: string
  skip_verify: boolean
  state: string
  user: string[]
  party: number[]
  is_exclusive: boolean
  /** Seconds; list_contact_way filters on it. */
  createTime: number
  /** Scans so far: a type 2 way hands them to its members in turn. */
  scans: number
}

export type SimMediaType = 'image' | 'voice' | 'video' | 'file'

/** A temporary media file from media/upload; only what the checks need, not its bytes. */
export interface SimMedia {
  media_id: string
  type: SimMediaType
  filename: string
  bytes: number
  /** Seconds; the id expires 3 days later. */
  created_at: number
}

/** A WelcomeCode handed out with an add event: once, within 20 s of the event (§3.10). */
export interface SimWelcomeCode {
  welcome_code: string
  userid: string
  external_userid: string
  /** The event's CreateTime, in seconds. */
  createTime: number
  used: boolean
}

/** What `seed()` accepts: the required identity of each thing, everything else defaulted. */
export interface SeedCompany {
  departments?: SeedDepartment[]
  users?: SeedUser[]
  tagGroups?: SeedTagGroup[]
  customers?: SeedCustomer[]
  follows?: SeedFollow[]
}
export type SeedDepartment = Pick<SimDepartment, 'id' | 'name'> & Partial<SimDepartment>
export type SeedUser = Pick<SimUser, 'userid' | 'name'> & Partial<SimUser>
export interface SeedTagGroup {
  group_id?: string
  group_name: string
  order?: number
  create_time?: number
  tags: SeedTag[]
}
export interface SeedTag {
  id?: string
  name: string
  order?: number
  create_time?: number
}
export type SeedCustomer = Pick<SimCustomer, 'external_userid' | 'name'> & Partial<SimCustomer>
export type SeedFollow = Pick<SimFollow, 'userid' | 'external_userid'> & Partial<SimFollow>

/** The root department every WeCom company has. */
export const ROOT_DEPARTMENT_ID = 1

/** An id shaped like WeCom's (e.g. `et` + 30 base64url characters for tags). */
export function randomId(prefix: string): string {
  return prefix + randomBytes(22).toString('base64url')
}

/** The mutable in-memory state. Tests may read it and change it directly. */
export class SimCompany {
  readonly departments = new Map<number, SimDepartment>()
  readonly users = new Map<string, SimUser>()
  readonly tagGroups = new Map<string, SimTagGroup>()
  readonly tags = new Map<string, SimTag>()
  /** Deleted groups and tags, kept because get_corp_tag_list shows them as `deleted` when asked by id. */
  readonly deletedTagGroups = new Map<string, SimTagGroup>()
  readonly deletedTags = new Map<string, SimTag>()
  readonly customers = new Map<string, SimCustomer>()
  /** Follow relations by member, then by customer, in the order they were made. Change them through putFollow and removeFollow. */
  readonly followsByUser = new Map<string, Map<string, SimFollow>>()
  /** The same relation objects by customer, then by member. */
  readonly followsByCustomer = new Map<string, Map<string, SimFollow>>()
  /** 「联系我」 ways by config_id, in the order they were created. */
  readonly contactWays = new Map<string, SimContactWay>()
  /** Temporary media by media_id. */
  readonly media = new Map<string, SimMedia>()
  /** WelcomeCodes handed out lately, used or not, by code. */
  readonly welcomeCodes = new Map<string, SimWelcomeCode>()
  /** followsOfUser() as arrays, so a page deep into a large list is a slice, not a walk. */
  private readonly followArrays = new Map<string, SimFollow[]>()

  follow(userid: string, externalUserid: string): SimFollow | undefined {
    return this.followsByUser.get(userid)?.get(externalUserid)
  }

  /** The member's relations in the order they were made (a cached array: do not change it). */
  followsOfUser(userid: string): readonly SimFollow[] {
    let follows = this.followArrays.get(userid)
    if (!follows) {
      follows = [...(this.followsByUser.get(userid)?.values() ?? [])]
      this.followArrays.set(userid, follows)
    }
    return follows
  }

  /** Adds or replaces the relation between follow.userid and follow.external_userid. */
  putFollow(follow: SimFollow): void {
    indexed(this.followsByUser, follow.userid).set(follow.external_userid, follow)
    indexed(this.followsByCustomer, follow.external_userid).set(follow.userid, follow)
    this.followArrays.delete(follow.userid)
  }

  removeFollow(userid: string, externalUserid: string): SimFollow | undefined {
    const follow = this.follow(userid, externalUserid)
    if (!follow) return undefined
    unindex(this.followsByUser, userid, externalUserid)
    unindex(this.followsByCustomer, externalUserid, userid)
    this.followArrays.delete(userid)
    return follow
  }

  /** Relations shown by the API: members still in the company (WeCom shows only the visible range). */
  visibleFollowsOfCustomer(externalUserid: string): SimFollow[] {
    const follows = this.followsByCustomer.get(externalUserid)
    return follows ? [...follows.values()].filter((follow) => this.users.has(follow.userid)) : []
  }

  tagsOfGroup(groupId: string): SimTag[] {
    return [...this.tags.values()].filter((tag) => tag.group_id === groupId)
  }

  groupByName(name: string): SimTagGroup | undefined {
    return [...this.tagGroups.values()].find((group) => group.group_name === name)
  }

  /** Deletes tags, takes them off every customer, and deletes groups left empty (as WeCom does). */
  deleteTags(tagIds: Iterable<string>): void {
    const doomed = new Set(tagIds)
    const groups = new Set<string>()
    for (const id of doomed) {
      const tag = this.tags.get(id)
      if (!tag) continue
      groups.add(tag.group_id)
      this.tags.delete(id)
      this.deletedTags.set(id, tag)
    }
    for (const groupId of groups) {
      if (this.tagsOfGroup(groupId).length === 0) this.retireGroup(groupId)
    }
    this.untagEveryone(doomed)
  }

  /** Deletes a group with all its tags. */
  deleteGroup(groupId: string): void {
    const tagIds = this.tagsOfGroup(groupId).map((tag) => tag.id)
    this.retireGroup(groupId)
    this.deleteTags(tagIds)
  }

  clear(): void {
    this.departments.clear()
    this.users.clear()
    this.tagGroups.clear()
    this.tags.clear()
    this.deletedTagGroups.clear()
    this.deletedTags.clear()
    this.customers.clear()
    this.followsByUser.clear()
    this.followsByCustomer.clear()
    this.followArrays.clear()
    this.contactWays.clear()
    this.media.clear()
    this.welcomeCodes.clear()
  }

  private retireGroup(groupId: string): void {
    const group = this.tagGroups.get(groupId)
    if (!group) return
    this.tagGroups.delete(groupId)
    this.deletedTagGroups.set(groupId, group)
  }

  private untagEveryone(tagIds: Set<string>): void {
    if (tagIds.size === 0) return
    for (const follows of this.followsByUser.values()) {
      for (const follow of follows.values()) {
        if (follow.tagIds.some((id) => tagIds.has(id))) follow.tagIds = follow.tagIds.filter((id) => !tagIds.has(id))
      }
    }
  }
}

function indexed<K, V>(outer: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let inner = outer.get(key)
  if (!inner) {
    inner = new Map()
    outer.set(key, inner)
  }
  return inner
}

function unindex<K, V>(outer: Map<string, Map<K, V>>, key: string, innerKey: K): void {
  const inner = outer.get(key)
  if (!inner) return
  inner.delete(innerKey)
  if (inner.size === 0) outer.delete(key)
}

/** The object without its undefined properties, so spreading it keeps the defaults under them. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T
}

export function newUser(seed: SeedUser): SimUser {
  const department = seed.department ?? [ROOT_DEPARTMENT_ID]
  return {
    order: department.map(() => 0),
    is_leader_in_dept: department.map(() => 0),
    direct_leader: [],
    main_department: department[0] ?? ROOT_DEPARTMENT_ID,
    position: '',
    mobile: '',
    gender: '0',
    email: '',
    avatar: '',
    alias: '',
    status: 1,
    customerContact: true,
    adminWelcome: false,
    ...definedOnly(seed),
    department,
  }
}

export function newCustomer(seed: SeedCustomer): SimCustomer {
  return { avatar: '', type: 1, gender: 0, ...definedOnly(seed) }
}

export function newFollow(seed: SeedFollow, nowSeconds: number): SimFollow {
  return {
    remark: '',
    description: '',
    createtime: nowSeconds,
    tagIds: [],
    remark_mobiles: [],
    oper_userid: seed.userid,
    add_way: 1,
    deletedByCustomer: false,
    ...definedOnly(seed),
  }
}

/** Replaces everything in `company` with the seed; missing ids and times are filled in. */
export function seedCompany(company: SimCompany, seed: SeedCompany, nowSeconds: number): void {
  company.clear()
  for (const department of seed.departments ?? []) {
    const parentid = department.id === ROOT_DEPARTMENT_ID ? 0 : ROOT_DEPARTMENT_ID
    company.departments.set(department.id, { parentid, order: 0, ...definedOnly(department) })
  }
  if (!company.departments.has(ROOT_DEPARTMENT_ID)) {
    company.departments.set(ROOT_DEPARTMENT_ID, { id: ROOT_DEPARTMENT_ID, name: '总部', parentid: 0, order: 0 })
  }
  for (const user of seed.users ?? []) company.users.set(user.userid, newUser(user))
  for (const group of seed.tagGroups ?? []) seedTagGroup(company, group, nowSeconds)
  for (const customer of seed.customers ?? []) company.customers.set(customer.external_userid, newCustomer(customer))
  for (const follow of seed.follows ?? []) {
    if (!company.customers.has(follow.external_userid)) {
      throw new Error(`seed: follow of unknown customer ${follow.external_userid}`)
    }
    company.putFollow(newFollow(follow, nowSeconds))
  }
}

function seedTagGroup(company: SimCompany, seed: SeedTagGroup, nowSeconds: number): void {
  const group: SimTagGroup = {
    group_id: seed.group_id ?? randomId('et'),
    group_name: seed.group_name,
    create_time: seed.create_time ?? nowSeconds,
    order: seed.order ?? 0,
  }
  company.tagGroups.set(group.group_id, group)
  for (const tag of seed.tags) {
    const id = tag.id ?? randomId('et')
    company.tags.set(id, {
      id,
      group_id: group.group_id,
      name: tag.name,
      create_time: tag.create_time ?? nowSeconds,
      order: tag.order ?? 0,
    })
  }
}
