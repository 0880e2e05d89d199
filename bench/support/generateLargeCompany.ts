/**
 * The 10M-follow company of the second digest size (SPEC §7): at scale 1, 10,000 members,
 * 3.33M customers, 10M follows (and 16.7M orders, as generateCompany makes five a customer).
 * generateCompany is frozen and caps members at 2,000, so this makes its company at 10/3 of
 * the scale, then adds the members it lacks, in groups of ten with a leader as it does, and
 * moves each follow to the member followersOf() picks among them all. Slow at full size:
 * about 3.3× the 1M company (12–23 min here), plus the move of 10M follows.
 */
import { createConnection } from 'mysql2/promise'
import type { DataSource } from 'typeorm'
import { recomputeManagerLinks } from '../../server/mirror/members'
import { followersOf, generateCompany, GENERATOR_VERSION, type GeneratedCounts } from './generateCompany'

/** Bump when this file changes the data; kept copies of another version are made again. */
const LARGE_VERSION = 1
/** The marker's version: a change of either generator makes the company again. */
export const LARGE_GENERATOR_VERSION = GENERATOR_VERSION * 1_000 + LARGE_VERSION

const MEMBERS = 10_000
/** generateCompany's scale for 10M follows at scale 1: it makes 3 follows for each of 1M × scale customers. */
const BASE_SCALE = 10 / 3
const FOLLOWS_PER_CUSTOMER = 3
const ROWS_PER_STATEMENT = 100_000

/** Fills an empty, migrated MySQL database; `scale` 1 is SPEC §7's second digest size. */
export async function generateLargeCompany(dataSource: DataSource, url: string, { scale = 1, progress = (_: string) => {} } = {}): Promise<GeneratedCounts> {
  const base = await generateCompany(dataSource, url, { scale: scale * BASE_SCALE, progress })
  // As generateCompany scales its members, five times as many.
  const members = Math.max(base.members, Math.round(MEMBERS * Math.min(1, scale * 10)))
  const at = `'${new Date().toISOString().slice(0, 23).replace('T', ' ')}'`
  const connection = await createConnection({ uri: url, charset: 'utf8mb4_bin', timezone: 'Z' })
  try {
    await connection.query('SET foreign_key_checks = 0')
    progress(`members ${base.members} → ${members}`)
    const newMembers = Array.from({ length: members - base.members }, (_, k) => base.members + k)
    const firstNewDepartment = Math.ceil(base.members / 10)
    const departments = Array.from({ length: Math.ceil(members / 10) - firstNewDepartment }, (_, k) => firstNewDepartment + k)
    if (departments.length > 0) {
      await connection.query(`INSERT INTO departments (id, name, parent_id, sort_order, updated_at) VALUES ${departments.map((d) => `(${d + 2}, '销售${d + 1}组', 1, ${d}, ${at})`).join(',')}`)
    }
    for (let start = 0; start < newMembers.length; start += 5_000) {
      const chunk = newMembers.slice(start, start + 5_000)
      await connection.query(
        `INSERT INTO members (id, userid, name, status, is_follow_user, direct_leaders, created_at, updated_at, main_department_id) VALUES ${chunk
          .map((m) => `(${m + 1}, 'gen${String(m).padStart(5, '0')}', '成员${m}', 1, 1, '${m % 10 === 0 ? '["gen00000"]' : '[]'}', ${at}, ${at}, ${Math.floor(m / 10) + 2})`)
          .join(',')}`,
      )
      await connection.query(`INSERT INTO member_departments (member_id, department_id, is_leader) VALUES ${chunk.map((m) => `(${m + 1}, ${Math.floor(m / 10) + 2}, ${m % 10 === 0 ? 1 : 0})`).join(',')}`)
    }

    // followersOf(c, members)[k] in SQL: c = customer_id - 1, k = (id - 1) % 3. Modulo the old
    // count each new member equals the old one, so no row ever meets another of its customer.
    progress(`moving ${base.follows} follows onto ${members} members`)
    const memberOf = `((customer_id - 1) * 7 + ((id - 1) % ${FOLLOWS_PER_CUSTOMER}) * 613) % ${members} + 1`
    for (let start = 0; start < base.follows; start += ROWS_PER_STATEMENT) {
      await connection.query(`UPDATE follow_relations SET member_id = ${memberOf} WHERE id > ${start} AND id <= ${start + ROWS_PER_STATEMENT}`)
      if ((start / ROWS_PER_STATEMENT) % 10 === 9) progress(`  follows ${start + ROWS_PER_STATEMENT}`)
    }
    await connection.query('UPDATE follow_ups u JOIN follow_relations f ON f.id = u.follow_relation_id SET u.author_member_id = f.member_id')
    await checkFollowers(connection, base.follows, members)
  } finally {
    await connection.end()
  }
  await recomputeManagerLinks(dataSource.manager)
  await dataSource.query('ANALYZE TABLE members, follow_relations, follow_ups')
  return { ...base, members }
}

/** The SQL above restates followersOf(): a sample of follows must agree with it. */
async function checkFollowers(connection: Awaited<ReturnType<typeof createConnection>>, follows: number, members: number): Promise<void> {
  const ids = Array.from({ length: 100 }, (_, i) => 1 + ((i * 2_654_435_761) % follows))
  const [rows] = (await connection.query(`SELECT id, customer_id, member_id FROM follow_relations WHERE id IN (${ids.join(',')})`)) as unknown as [{ id: number; customer_id: number; member_id: number }[]]
  for (const row of rows) {
    const expected = followersOf(Number(row.customer_id) - 1, members)[(Number(row.id) - 1) % FOLLOWS_PER_CUSTOMER]! + 1
    if (Number(row.member_id) !== expected) throw new Error(`follow ${row.id}: member ${row.member_id}, followersOf() says ${expected}`)
  }
}
