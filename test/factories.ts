import type { DataSource } from 'typeorm'
import { dedupeKey } from '../server/inbox/journal'
import { eventNames } from '../server/wecom/events'
import { parseXml } from '../server/wecom/xml'
import {
  Customer,
  CustomerIdentity,
  FollowRelation,
  FollowTag,
  InboxEvent,
  Member,
  Order,
  OrderItem,
  Script,
  ScriptCategory,
  ScriptTagTarget,
  Tag,
  TagGroup,
} from '../server/entities'

let sequence = 0
const next = () => ++sequence

/** Inserts a member; any column can be overridden. */
export async function buildMember(dataSource: DataSource, overrides: Partial<Member> = {}): Promise<Member> {
  const n = next()
  const now = new Date()
  const repository = dataSource.getRepository(Member)
  return repository.save(
    repository.create({ userid: `member${n}`, name: `成员${n}`, status: 1, isFollowUser: true, createdAt: now, updatedAt: now, ...overrides }),
  )
}

/** Inserts a customer; any column can be overridden. */
export async function buildCustomer(dataSource: DataSource, overrides: Partial<Customer> = {}): Promise<Customer> {
  const n = next()
  const now = new Date()
  const repository = dataSource.getRepository(Customer)
  return repository.save(
    repository.create({ externalUserid: `wmTestCustomer${n}`, name: `客户${n}`, type: 1, gender: 0, createdAt: now, updatedAt: now, ...overrides }),
  )
}

/** Inserts a binding of a customer to an identity (a unionid, a phone, a shop's buyer id). */
export async function buildIdentity(dataSource: DataSource, customer: Customer, overrides: Partial<CustomerIdentity> & Pick<CustomerIdentity, 'kind' | 'value'>): Promise<CustomerIdentity> {
  const repository = dataSource.getRepository(CustomerIdentity)
  return repository.save(repository.create({ customerId: customer.id, platform: '', source: 'wecom', createdAt: new Date(), ...overrides }))
}

/**
 * Inserts an active follow relation: `member` follows `customer` (each built when not
 * given); any column can be overridden.
 */
export async function buildFollow(
  dataSource: DataSource,
  { member, customer, ...overrides }: Partial<FollowRelation> & { member?: Member; customer?: Customer } = {},
): Promise<FollowRelation> {
  const now = new Date()
  const memberId = (member ?? (await buildMember(dataSource))).id
  const customerId = (customer ?? (await buildCustomer(dataSource))).id
  const repository = dataSource.getRepository(FollowRelation)
  return repository.save(repository.create({ memberId, customerId, remarkMobiles: [], addedAt: now, status: 'active', createdAt: now, updatedAt: now, ...overrides }))
}

/** Inserts a corp tag in a group of its own unless `group` is given; `follows` get the tag. */
export async function buildTag(
  dataSource: DataSource,
  { group, follows = [], ...overrides }: Partial<Tag> & { group?: TagGroup; follows?: FollowRelation[] } = {},
): Promise<Tag> {
  const n = next()
  const now = new Date()
  const groupId = (group ?? (await dataSource.getRepository(TagGroup).save({ wecomGroupId: `etTestGroup${n}`, name: `标签组${n}`, sortOrder: 0, createdAt: now, updatedAt: now }))).id
  const tag = await dataSource.getRepository(Tag).save(dataSource.getRepository(Tag).create({ wecomTagId: `etTestTag${n}`, groupId, name: `标签${n}`, sortOrder: 0, createdAt: now, updatedAt: now, ...overrides }))
  if (follows.length > 0) await dataSource.getRepository(FollowTag).insert(follows.map((follow) => ({ followRelationId: follow.id, tagId: tag.id, createdAt: now })))
  return tag
}

/**
 * Inserts an order with its items, of `customer` when given (matched, as saveOrders would
 * leave it); any column can be overridden.
 */
export async function buildOrder(
  dataSource: DataSource,
  { customer, items = [{ name: '商品', quantity: 1 }], ...overrides }: Partial<Order> & { customer?: Customer; items?: { name: string; quantity: number }[] } = {},
): Promise<Order> {
  const n = next()
  const now = new Date()
  const repository = dataSource.getRepository(Order)
  const order = await repository.save(
    repository.create({ platform: 'tmall', orderNo: `TEST${n}`, status: 'paid', paidAt: now, amountCents: 100 * n, customerId: customer?.id ?? null, externalUserid: customer?.externalUserid ?? null, unionid: null, phone: null, buyerId: null, source: 'import', createdAt: now, updatedAt: now, ...overrides }),
  )
  if (items.length > 0) await dataSource.getRepository(OrderItem).insert(items.map((item, i) => ({ orderId: order.id, lineNo: i + 1, ...item })))
  return order
}

/** Inserts a script in `category` (created when new), targeting customers with the `tags` named. */
export async function buildScript(
  dataSource: DataSource,
  { category = '测试分类', tags = [], ...overrides }: Partial<Script> & { category?: string; tags?: string[] } = {},
): Promise<Script> {
  const n = next()
  const now = new Date()
  const categories = dataSource.getRepository(ScriptCategory)
  const categoryId = ((await categories.findOneBy({ name: category })) ?? (await categories.save({ name: category, sortOrder: 0, createdAt: now }))).id
  const repository = dataSource.getRepository(Script)
  const script = await repository.save(repository.create({ categoryId, title: `话术${n}`, content: `话术内容${n}`, sendCount: 0, createdAt: now, updatedAt: now, ...overrides }))
  if (tags.length > 0) await dataSource.getRepository(ScriptTagTarget).insert(tags.map((tagName) => ({ scriptId: script.id, tagName })))
  return script
}

/** Inserts a pending inbox row for a decrypted callback's XML, as the journal would; any column can be overridden. */
export async function buildEvent(dataSource: DataSource, xml: string, overrides: Partial<InboxEvent> = {}): Promise<InboxEvent> {
  const now = new Date()
  const repository = dataSource.getRepository(InboxEvent)
  return repository.save(
    repository.create({ dedupeKey: dedupeKey(xml), plaintext: xml, ...eventNames(parseXml(xml) ?? {}), status: 'pending', attempts: 0, nextAttemptAt: now, receivedAt: now, ...overrides }),
  )
}

/**
 * Gives the follows of the customer `externalUserid` a next follow-up date, as if saved on an
 * earlier day (followed up long ago, so the new-customer grace never applies).
 */
export async function setNextFollowUp(dataSource: DataSource, externalUserid: string, date: string): Promise<void> {
  await dataSource.query(
    `UPDATE follow_relations SET next_follow_up_on = ?, last_followed_up_at = '2026-01-01 00:00:00'
      WHERE customer_id = (SELECT id FROM customers WHERE external_userid = ?)`,
    [date, externalUserid],
  )
}
