import type { DataSource } from 'typeorm'
import { Customer, Member } from '../server/entities'

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

/**
 * Gives the demo customer `wmDemoCustomer<n>`'s follow a next follow-up date, as if saved on an
 * earlier day (followed up long ago, so the new-customer grace never applies).
 */
export async function setNextFollowUp(dataSource: DataSource, n: string, date: string): Promise<void> {
  await dataSource.query(
    `UPDATE follow_relations SET next_follow_up_on = ?, last_followed_up_at = '2026-01-01 00:00:00'
      WHERE customer_id = (SELECT id FROM customers WHERE external_userid = ?)`,
    [date, `wmDemoCustomer${n}`],
  )
}
