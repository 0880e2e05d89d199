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
