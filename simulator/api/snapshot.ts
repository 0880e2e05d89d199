import type { AppMessageRecord, RobotMessageRecord } from './messageApi'
import type { SimCompany, SimContactWay, SimCustomer, SimDepartment, SimFollow, SimMedia, SimTag, SimTagGroup, SimUser, SimWelcomeCode } from './state'
import type { WelcomeMessageRecord } from './welcomeApi'

/**
 * The simulator's lasting state as plain JSON: the company (with its 「联系我」 ways, media and
 * welcome codes) and what our bot sent. Tokens, tickets, OAuth codes and faults are left out:
 * they are short-lived, and our client asks again for a token the simulator no longer knows.
 */
export interface SimulatorSnapshot {
  departments: SimDepartment[]
  users: SimUser[]
  tagGroups: SimTagGroup[]
  tags: SimTag[]
  deletedTagGroups: SimTagGroup[]
  deletedTags: SimTag[]
  customers: SimCustomer[]
  /** In each member's order (the order of their list pages). */
  follows: SimFollow[]
  /** Each customer's members in follow_user order, which differs from the members' order. */
  followers: [externalUserid: string, userids: string[]][]
  appMessages: AppMessageRecord[]
  robotMessages: RobotMessageRecord[]
  // Optional: snapshots kept before 「联系我」 and welcomes existed lack them.
  /** In creation order (list_contact_way's order). */
  contactWays?: SimContactWay[]
  media?: SimMedia[]
  welcomeCodes?: SimWelcomeCode[]
  welcomeMessages?: WelcomeMessageRecord[]
}

interface SnapshotSource {
  readonly company: SimCompany
  readonly appMessages: AppMessageRecord[]
  readonly robotMessages: RobotMessageRecord[]
  readonly welcomeMessages: WelcomeMessageRecord[]
}

/** A copy of the state that shares nothing with the live one. */
export function takeSnapshot({ company, appMessages, robotMessages, welcomeMessages }: SnapshotSource): SimulatorSnapshot {
  return structuredClone({
    departments: [...company.departments.values()],
    users: [...company.users.values()],
    tagGroups: [...company.tagGroups.values()],
    tags: [...company.tags.values()],
    deletedTagGroups: [...company.deletedTagGroups.values()],
    deletedTags: [...company.deletedTags.values()],
    customers: [...company.customers.values()],
    follows: [...company.followsByUser.values()].flatMap((follows) => [...follows.values()]),
    followers: [...company.followsByCustomer].map(([externalUserid, follows]): [string, string[]] => [externalUserid, [...follows.keys()]]),
    appMessages,
    robotMessages,
    contactWays: [...company.contactWays.values()],
    media: [...company.media.values()],
    welcomeCodes: [...company.welcomeCodes.values()],
    welcomeMessages,
  })
}

/** Replaces the state with a snapshot's. */
export function restoreSnapshot(target: SnapshotSource, snapshot: SimulatorSnapshot): void {
  const { company } = target
  const copy = structuredClone(snapshot)
  company.clear()
  for (const department of copy.departments) company.departments.set(department.id, department)
  for (const user of copy.users) company.users.set(user.userid, user)
  for (const group of copy.tagGroups) company.tagGroups.set(group.group_id, group)
  for (const tag of copy.tags) company.tags.set(tag.id, tag)
  for (const group of copy.deletedTagGroups) company.deletedTagGroups.set(group.group_id, group)
  for (const tag of copy.deletedTags) company.deletedTags.set(tag.id, tag)
  for (const customer of copy.customers) company.customers.set(customer.external_userid, customer)
  for (const follow of copy.follows) company.putFollow(follow)
  for (const [externalUserid, userids] of copy.followers) {
    const byMember = company.followsByCustomer.get(externalUserid)
    if (!byMember) continue
    // Re-inserting in the saved order; a member the list misses keeps its place at the end.
    const entries = [...byMember]
    byMember.clear()
    for (const userid of userids) {
      const entry = entries.find(([member]) => member === userid)
      if (entry) byMember.set(...entry)
    }
    for (const entry of entries) if (!byMember.has(entry[0])) byMember.set(...entry)
  }
  target.appMessages.splice(0, target.appMessages.length, ...copy.appMessages)
  target.robotMessages.splice(0, target.robotMessages.length, ...copy.robotMessages)
  for (const way of copy.contactWays ?? []) company.contactWays.set(way.config_id, way)
  for (const media of copy.media ?? []) company.media.set(media.media_id, media)
  for (const code of copy.welcomeCodes ?? []) company.welcomeCodes.set(code.welcome_code, code)
  target.welcomeMessages.splice(0, target.welcomeMessages.length, ...(copy.welcomeMessages ?? []))
}
