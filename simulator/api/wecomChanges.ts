import { eventXml, type EventField } from './callbacks'
import { canServeCustomers, contactWayMembers } from './contactWayApi'
import { newCustomer, newFollow, newUser, randomId, type SimCompany, type SimContactWay, type SimCustomer, type SimFollow, type SimTagGroup, type SimUser } from './state'
import { issueWelcomeCode } from './welcomeApi'

/**
 * Changes made on the WeCom side (by a person in the WeCom client or the admin console).
 * Each one changes the state and then delivers the matching callback (wecom-protocol.md §2),
 * unlike changes made through the API, which WeCom never reports.
 * Asking for something impossible (an unknown member, a relation that does not exist) throws:
 * that is a mistake in the test or the demo, not something WeCom would let a person do.
 */

export interface CustomerAddsMember {
  userid: string
  customer: { external_userid: string; name: string; avatar?: string; type?: 1 | 2; gender?: 0 | 1 | 2; unionid?: string }
  state?: string
  addWay?: number
  remark?: string
  remarkMobiles?: string[]
}

export interface CustomerScansContactWay {
  configId: string
  customer: CustomerAddsMember['customer']
}

export interface MemberEditsCustomer {
  userid: string
  externalUserid: string
  remark?: string
  description?: string
  addTagIds?: string[]
  removeTagIds?: string[]
}

export interface FollowRef {
  userid: string
  externalUserid: string
}

export interface MemberChange {
  userid: string
  name?: string
  department?: number[]
  isLeaderInDept?: number[]
  directLeader?: string[]
  mainDepartment?: number
}

export type NewMember = MemberChange & { name: string }

export interface WecomChangeDeps {
  company: SimCompany
  corpId: string
  now: () => number
  /** Encrypts, signs and POSTs the event; resolves to the HTTP status our server answered. */
  deliver: (plaintextXml: string) => Promise<number>
}

export class WecomSideChanges {
  constructor(private readonly deps: WecomChangeDeps) {}

  private get company(): SimCompany {
    return this.deps.company
  }

  private nowSeconds(): number {
    return Math.floor(this.deps.now() / 1000)
  }

  /** add_external_contact: the customer added the member (e.g. scanned their 「联系我」 QR code). */
  customerAddsMember(p: CustomerAddsMember): Promise<number> {
    return this.addRelation('add_external_contact', this.requireMember(p.userid), p)
  }

  /**
   * A customer scans a 「联系我」 code: its one member (type 1) or the next of its members in turn
   * (type 2) gets them, with the way's state. With skip_verify the customer is added without the
   * member confirming: add_half_external_contact; without, the member approves at once:
   * add_external_contact. (A community report says skip-verify adds can also arrive as
   * add_external_contact, §2.1 [S]; we send the documented one.)
   */
  customerScansContactWay(p: CustomerScansContactWay): Promise<number> {
    const way = this.company.contactWays.get(p.configId)
    if (!way) throw new Error(`No 「联系我」 way ${p.configId} in the simulated company`)
    const member = this.nextMemberOf(way)
    way.scans += 1
    return this.addRelation(way.skip_verify ? 'add_half_external_contact' : 'add_external_contact', member, {
      userid: member.userid,
      customer: p.customer,
      ...(way.state ? { state: way.state } : {}),
      // 1: added by scanning a QR code; a scene 1 button is a mini-program add, which WeCom reports as 1 as well [U].
      addWay: 1,
    })
  }

  /** The relation an add makes, then its event: State when the add came with one, a WelcomeCode when WeCom grants one. */
  private addRelation(changeType: 'add_external_contact' | 'add_half_external_contact', member: SimUser, p: CustomerAddsMember): Promise<number> {
    const externalUserid = p.customer.external_userid
    const known = this.company.customers.get(externalUserid)
    const customer = newCustomer({ ...known, ...p.customer })
    this.company.customers.set(externalUserid, customer)
    const previous = this.company.follow(member.userid, externalUserid)
    const createTime = this.nowSeconds()
    this.company.putFollow(
      newFollow(
        {
          userid: member.userid,
          external_userid: externalUserid,
          remark: p.remark ?? previous?.remark,
          description: previous?.description,
          tagIds: previous?.tagIds,
          remark_mobiles: p.remarkMobiles ?? previous?.remark_mobiles,
          state: p.state,
          add_way: p.addWay ?? 1,
          // The customer started the add, so WeCom names them as the operator.
          oper_userid: externalUserid,
        },
        createTime,
      ),
    )
    const fields: EventField[] = [
      ['ChangeType', changeType],
      ['UserID', member.userid],
      ['ExternalUserID', externalUserid],
    ]
    if (p.state) fields.push(['State', p.state])
    if (grantsWelcomeCode(member, customer, previous)) {
      fields.push(['WelcomeCode', issueWelcomeCode(this.company, { userid: member.userid, externalUserid }, createTime)])
    }
    return this.emit('change_external_contact', fields, createTime)
  }

  /** Type 1: its member; type 2: its members in turn, skipping any who can no longer take customers. */
  private nextMemberOf(way: SimContactWay): SimUser {
    const members = contactWayMembers(this.company, way)
      .map((userid) => this.company.users.get(userid))
      .filter(canServeCustomers)
    const member = members[way.scans % Math.max(members.length, 1)]
    if (!member) throw new Error(`「联系我」 way ${way.config_id} has no member who can take customers`)
    return member
  }

  /** edit_external_contact: the member changed the remark, description or corp tags in the client. */
  memberEditsCustomer(p: MemberEditsCustomer): Promise<number> {
    const follow = this.requireFollow(p)
    for (const id of [...(p.addTagIds ?? []), ...(p.removeTagIds ?? [])]) {
      if (!this.company.tags.has(id)) throw new Error(`memberEditsCustomer: unknown tag ${id}`)
    }
    if (p.remark !== undefined) follow.remark = p.remark
    if (p.description !== undefined) follow.description = p.description
    const removed = new Set(p.removeTagIds ?? [])
    follow.tagIds = follow.tagIds.filter((id) => !removed.has(id))
    for (const id of p.addTagIds ?? []) if (!follow.tagIds.includes(id)) follow.tagIds.push(id)
    return this.emitContactChange('edit_external_contact', p)
  }

  /** del_external_contact: the member deleted the customer; the relation is gone. */
  memberDeletesCustomer(p: FollowRef): Promise<number> {
    this.requireFollow(p)
    this.company.removeFollow(p.userid, p.externalUserid)
    return this.emitContactChange('del_external_contact', p)
  }

  /** del_follow_user: the customer deleted the member; the one-way relation stays readable. */
  customerDeletesMember(p: FollowRef): Promise<number> {
    this.requireFollow(p).deletedByCustomer = true
    return this.emitContactChange('del_follow_user', p)
  }

  /**
   * msg_audit_approved: the customer agreed to the member's chat-archive notice. WeCom then
   * grants a fresh WelcomeCode (doc 92005), as for an add, unless an admin set the member's welcome.
   */
  customerApprovesMsgAudit(p: FollowRef): Promise<number> {
    const follow = this.requireFollow(p)
    const member = this.company.users.get(p.userid)!
    if (member.msgAudit !== true) throw new Error(`customerApprovesMsgAudit: ${p.userid} is not in the chat-archive range`)
    if (follow.auditApproved) throw new Error(`customerApprovesMsgAudit: ${p.externalUserid} already agreed for ${p.userid}`)
    follow.auditApproved = true
    const createTime = this.nowSeconds()
    const fields: EventField[] = [
      ['ChangeType', 'msg_audit_approved'],
      ['UserID', p.userid],
      ['ExternalUserID', p.externalUserid],
    ]
    if (member.adminWelcome !== true) fields.push(['WelcomeCode', issueWelcomeCode(this.company, { userid: p.userid, externalUserid: p.externalUserid }, createTime)])
    return this.emit('change_external_contact', fields, createTime)
  }

  /** change_external_tag create: a tag in the named group (created if new). */
  adminCreatesTag(p: { groupName: string; tagName: string }): Promise<number> {
    const now = this.nowSeconds()
    const group = this.company.groupByName(p.groupName) ?? this.createGroup(p.groupName, now)
    if (this.company.tagsOfGroup(group.group_id).some((tag) => tag.name === p.tagName)) {
      throw new Error(`adminCreatesTag: ${p.groupName} already has a tag ${p.tagName}`)
    }
    const id = randomId('et')
    this.company.tags.set(id, { id, group_id: group.group_id, name: p.tagName, create_time: now, order: 0 })
    return this.emitTagChange('create', id, 'tag')
  }

  /** change_external_tag update: renames a tag, or a group when the id is a group's. */
  adminRenamesTag(p: { tagId: string; name: string }): Promise<number> {
    const tag = this.company.tags.get(p.tagId)
    if (tag) {
      tag.name = p.name
      return this.emitTagChange('update', p.tagId, 'tag')
    }
    this.requireGroup(p.tagId, 'adminRenamesTag').group_name = p.name
    return this.emitTagChange('update', p.tagId, 'tag_group')
  }

  /**
   * change_external_tag delete: a tag (its group goes too when left empty), or a whole group.
   * Only one event is sent; whether WeCom also reports each child tag is [U].
   */
  adminDeletesTag(p: { tagId: string }): Promise<number> {
    if (this.company.tags.has(p.tagId)) {
      this.company.deleteTags([p.tagId])
      return this.emitTagChange('delete', p.tagId, 'tag')
    }
    this.requireGroup(p.tagId, 'adminDeletesTag')
    this.company.deleteGroup(p.tagId)
    return this.emitTagChange('delete', p.tagId, 'tag_group')
  }

  /** change_contact update_user: only the changed fields are sent, as WeCom does. */
  adminUpdatesMember(p: MemberChange): Promise<number> {
    const user = this.requireMember(p.userid)
    applyMemberChange(user, p)
    return this.emit('change_contact', [['ChangeType', 'update_user', 'bare'], ['UserID', p.userid], ...memberFields(user, p)])
  }

  /** change_contact create_user. */
  adminCreatesMember(p: NewMember): Promise<number> {
    if (this.company.users.has(p.userid)) throw new Error(`adminCreatesMember: ${p.userid} already exists`)
    const user = newUser({ userid: p.userid, name: p.name })
    applyMemberChange(user, p)
    this.company.users.set(user.userid, user)
    // A new member is reported with every field we hold, not only the ones given.
    const everyField: MemberChange = {
      userid: user.userid,
      name: user.name,
      department: user.department,
      isLeaderInDept: user.is_leader_in_dept,
      directLeader: user.direct_leader,
      mainDepartment: user.main_department,
    }
    return this.emit('change_contact', [
      ['ChangeType', 'create_user', 'bare'],
      ['UserID', user.userid],
      ...memberFields(user, everyField),
      ['Status', user.status],
    ])
  }

  /** change_contact delete_user. Their customer relations stay in the state but no API shows them. */
  adminDeletesMember(p: { userid: string }): Promise<number> {
    this.requireMember(p.userid)
    this.company.users.delete(p.userid)
    return this.emit('change_contact', [['ChangeType', 'delete_user', 'bare'], ['UserID', p.userid]])
  }

  private createGroup(name: string, now: number): SimTagGroup {
    const group: SimTagGroup = { group_id: randomId('et'), group_name: name, create_time: now, order: 0 }
    this.company.tagGroups.set(group.group_id, group)
    return group
  }

  private requireMember(userid: string): SimUser {
    const user = this.company.users.get(userid)
    if (!user) throw new Error(`No member ${userid} in the simulated company`)
    return user
  }

  private requireFollow({ userid, externalUserid }: FollowRef): SimFollow {
    const follow = this.company.follow(userid, externalUserid)
    if (!follow) throw new Error(`${userid} does not follow ${externalUserid}`)
    return follow
  }

  private requireGroup(id: string, action: string): SimTagGroup {
    const group = this.company.tagGroups.get(id)
    if (!group) throw new Error(`${action}: no tag or tag group ${id}`)
    return group
  }

  private emitContactChange(changeType: string, { userid, externalUserid }: FollowRef): Promise<number> {
    return this.emit('change_external_contact', [
      ['ChangeType', changeType],
      ['UserID', userid],
      ['ExternalUserID', externalUserid],
    ])
  }

  private emitTagChange(changeType: 'create' | 'update' | 'delete', id: string, tagType: 'tag' | 'tag_group'): Promise<number> {
    return this.emit('change_external_tag', [
      ['Id', id],
      ['TagType', tagType],
      ['ChangeType', changeType],
    ])
  }

  private emit(event: string, fields: EventField[], createTime = this.nowSeconds()): Promise<number> {
    return this.deps.deliver(eventXml({ corpId: this.deps.corpId, createTime, event }, fields))
  }
}

/**
 * WeCom gives no WelcomeCode when member and customer already had a relation (they have
 * chatted), when an admin set the member's welcome, or when the customer is another company's
 * WeCom user (WeCom then sends a card itself): wecom-protocol.md §2.1, §3.10.
 */
function grantsWelcomeCode(member: SimUser, customer: SimCustomer, previous: SimFollow | undefined): boolean {
  return previous === undefined && member.adminWelcome !== true && customer.type !== 2
}

/** Applies the given fields; arrays parallel to `department` are re-fitted when it changes. */
function applyMemberChange(user: SimUser, p: MemberChange): void {
  if (p.name !== undefined) user.name = p.name
  if (p.department !== undefined) {
    const previous = user.department
    user.department = [...p.department]
    user.order = p.department.map((id) => user.order[previous.indexOf(id)] ?? 0)
    user.is_leader_in_dept = p.department.map((id) => user.is_leader_in_dept[previous.indexOf(id)] ?? 0)
    if (!user.department.includes(user.main_department)) user.main_department = user.department[0] ?? user.main_department
  }
  if (p.isLeaderInDept !== undefined) user.is_leader_in_dept = [...p.isLeaderInDept]
  if (p.directLeader !== undefined) user.direct_leader = [...p.directLeader]
  if (p.mainDepartment !== undefined) user.main_department = p.mainDepartment
}

/** The change_contact elements for the fields present in `p`, in the order of WeCom's sample. */
function memberFields(user: SimUser, p: MemberChange): EventField[] {
  const fields: EventField[] = []
  if (p.name !== undefined) fields.push(['Name', user.name])
  if (p.department !== undefined) fields.push(['Department', user.department.join(',')])
  if (p.mainDepartment !== undefined || p.department !== undefined) fields.push(['MainDepartment', user.main_department])
  if (p.isLeaderInDept !== undefined || p.department !== undefined) fields.push(['IsLeaderInDept', user.is_leader_in_dept.join(',')])
  if (p.directLeader !== undefined) fields.push(['DirectLeader', user.direct_leader.join(',')])
  return fields
}
