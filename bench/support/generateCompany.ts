/**
 * A large company straight into MySQL, for the benchmarks (SPEC §7): at scale 1, 2,000
 * members, 1M customers, 3M follows, 5M orders with items, tags and follow-ups.
 * Deterministic: the same scale gives the same data. Rows go in as multi-row INSERTs on one
 * connection with key checks off; nothing here is user input, so literals are built inline.
 */
import { createConnection, type Connection } from 'mysql2/promise'
import type { DataSource } from 'typeorm'
import { recomputeManagerLinks } from '../../server/mirror/members'

export interface GeneratedCounts {
  members: number
  customers: number
  follows: number
  orders: number
  followTags: number
  followUps: number
}

/** Bump when the data changes shape: kept copies made by another version are made again. */
export const GENERATOR_VERSION = 2
const ROWS_PER_INSERT = 5_000
const MEMBERS = 2_000
const FOLLOWS_PER_CUSTOMER = 3
const ORDERS_PER_CUSTOMER = 5
const TAG_GROUPS = 10
const TAGS_PER_GROUP = 10
const STATUSES = ['paid', 'shipped', 'completed', 'completed', 'completed', 'completed', 'shipped', 'paid', 'refunded', 'cancelled']
const NAMES = ['小美', '王姐', 'Lily', '陈先生', '阿珍', '周周', '🌸花花', 'Tony', '刘阿姨', '健身达人💪']
const ITEMS = ['玻尿酸精华', '防晒霜', '丝绒口红', '婴儿润肤乳', '香水小样', '面膜', '洗面奶']

const sqlTime = (ms: number) => `'${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}'`
const sqlDay = (ms: number) => `'${new Date(ms).toISOString().slice(0, 10)}'`
const text = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

async function insertRows(connection: Connection, table: string, columns: string, count: number, row: (i: number) => string, onProgress?: (done: number) => void) {
  for (let start = 0; start < count; start += ROWS_PER_INSERT) {
    const end = Math.min(count, start + ROWS_PER_INSERT)
    const values: string[] = []
    for (let i = start; i < end; i++) values.push(row(i))
    await connection.query(`INSERT INTO ${table} ${columns} VALUES ${values.join(',')}`)
    onProgress?.(end)
  }
}

/** The member indexes following customer `c`: three different ones, spread over everyone. */
export const followersOf = (c: number, members: number) => Array.from({ length: FOLLOWS_PER_CUSTOMER }, (_, k) => (c * 7 + k * 613) % members)

/** Fills an empty, migrated MySQL database. `scale` 1 is the SPEC §7 size; 0.01 is a quick check. */
export async function generateCompany(dataSource: DataSource, url: string, { scale = 1, progress = (_: string) => {} } = {}): Promise<GeneratedCounts> {
  const members = Math.max(20, Math.round(MEMBERS * Math.min(1, scale * 10)))
  const customers = Math.round(1_000_000 * scale)
  const now = Date.now()
  const day = 86_400_000
  const connection = await createConnection({ uri: url, charset: 'utf8mb4_bin', timezone: 'Z', multipleStatements: false })
  try {
    await connection.query('SET foreign_key_checks = 0, unique_checks = 0')
    const at = sqlTime(now)

    progress(`members ${members}`)
    const departments = Math.ceil(members / 10)
    await insertRows(connection, 'departments', '(id, name, parent_id, sort_order, updated_at)', departments, (d) => `(${d + 2}, ${text(`销售${d + 1}组`)}, 1, ${d}, ${at})`)
    // Each group of ten has its leader (a department leader); the leaders report to gen00000 (a direct leader).
    await insertRows(connection, 'members', '(id, userid, name, status, is_follow_user, direct_leaders, created_at, updated_at, main_department_id)', members, (m) =>
      `(${m + 1}, 'gen${String(m).padStart(5, '0')}', ${text(`成员${m}`)}, 1, 1, '${m % 10 === 0 && m > 0 ? '["gen00000"]' : '[]'}', ${at}, ${at}, ${Math.floor(m / 10) + 2})`,
    )
    await insertRows(connection, 'member_departments', '(member_id, department_id, is_leader)', members, (m) => `(${m + 1}, ${Math.floor(m / 10) + 2}, ${m % 10 === 0 ? 1 : 0})`)

    progress('tags and scripts')
    await insertRows(connection, 'tag_groups', '(id, wecom_group_id, name, sort_order, created_at, updated_at)', TAG_GROUPS, (g) => `(${g + 1}, 'etGenGroup${g}', ${text(`分组${g}`)}, ${TAG_GROUPS - g}, ${at}, ${at})`)
    await insertRows(connection, 'tags', '(id, wecom_tag_id, group_id, name, sort_order, created_at, updated_at)', TAG_GROUPS * TAGS_PER_GROUP, (t) =>
      `(${t + 1}, 'etGen${t}', ${Math.floor(t / TAGS_PER_GROUP) + 1}, ${text(`标签${t}`)}, ${TAGS_PER_GROUP - (t % TAGS_PER_GROUP)}, ${at}, ${at})`,
    )
    await insertRows(connection, 'script_categories', '(id, name, sort_order, created_at)', 10, (c) => `(${c + 1}, ${text(`分类${c}`)}, ${c}, ${at})`)
    await insertRows(connection, 'scripts', '(id, category_id, title, content, send_count, created_at, updated_at)', 200, (s) =>
      `(${s + 1}, ${(s % 10) + 1}, ${text(`话术${s}`)}, ${text(`{{客户称呼}}您好，我是{{导购姓名}}。上次买的{{最近购买}}怎么样？累计消费{{累计消费}}元。#${s}`)}, ${s % 37}, ${at}, ${at})`,
    )
    await insertRows(connection, 'script_tag_targets', '(script_id, tag_name)', 100, (s) => `(${s + 1}, ${text(`标签${s}`)})`)

    progress(`customers ${customers}`)
    await insertRows(connection, 'customers', '(id, external_userid, name, type, gender, unionid, created_at, updated_at)', customers, (c) =>
      `(${c + 1}, 'wmGen${String(c).padStart(7, '0')}', ${text(`${NAMES[c % NAMES.length]}${c}`)}, 1, ${c % 3}, 'oGen${c}', ${at}, ${at})`,
      (done) => done % 200_000 === 0 && progress(`  customers ${done}`),
    )

    const follows = customers * FOLLOWS_PER_CUSTOMER
    progress(`follows ${follows}`)
    await insertRows(
      connection,
      'follow_relations',
      '(id, member_id, customer_id, remark, description, remark_corp_name, remark_mobiles, add_way, oper_userid, state, added_at, status, status_changed_at, stage, next_follow_up_on, last_followed_up_at, created_at, updated_at)',
      follows,
      (f) => {
        const c = Math.floor(f / FOLLOWS_PER_CUSTOMER)
        const m = followersOf(c, members)[f % FOLLOWS_PER_CUSTOMER]!
        const added = now - ((f * 13) % 365) * day - 3_600_000
        // About a third have a next date (some past: overdue), a tenth were followed up.
        const next = f % 3 === 0 ? sqlDay(now + (((f * 7) % 61) - 30) * day) : 'NULL'
        const followed = f % 10 === 0 ? sqlTime(added + day) : 'NULL'
        const status = f % 50 === 0 ? 'deleted_by_customer' : f % 47 === 0 ? 'deleted_by_member' : 'active'
        // Losses spread over the last 30 days, so about one in thirty happened yesterday.
        const changed = status === 'active' ? 'NULL' : sqlTime(now - ((f * 11) % 30) * day - 7_200_000)
        return `(${f + 1}, ${m + 1}, ${c + 1}, ${f % 4 === 0 ? text(`备注${c}`) : "''"}, '', '', ${f % 5 === 0 ? `'["138${String(c).padStart(8, '0')}"]'` : "'[]'"}, ${f % 4}, '', ${f % 2 ? "'store-qr'" : "''"}, ${sqlTime(added)}, '${status}', ${changed}, NULL, ${next}, ${followed}, ${at}, ${at})`
      },
      (done) => done % 600_000 === 0 && progress(`  follows ${done}`),
    )

    const followTags = Math.floor(follows / 2)
    progress(`follow tags ${followTags}`)
    await insertRows(connection, 'follow_tags', '(follow_relation_id, tag_id, created_at)', followTags, (i) => `(${i * 2 + 1}, ${(i % (TAG_GROUPS * TAGS_PER_GROUP)) + 1}, ${at})`)

    const followUps = Math.floor(follows / 10)
    progress(`follow-ups ${followUps}`)
    await insertRows(connection, 'follow_ups', '(follow_relation_id, author_member_id, note, next_follow_up_on, stage, created_at)', followUps, (i) => {
      const f = i * 10
      const m = followersOf(Math.floor(f / FOLLOWS_PER_CUSTOMER), members)[f % FOLLOWS_PER_CUSTOMER]!
      return `(${f + 1}, ${m + 1}, ${text(`电话回访，客户${i}说下周再聊`)}, NULL, '意向', ${sqlTime(now - (i % 200) * day)})`
    })

    const orders = customers * ORDERS_PER_CUSTOMER
    progress(`orders ${orders}`)
    await insertRows(
      connection,
      'orders',
      '(id, platform, order_no, status, paid_at, amount_cents, customer_id, external_userid, source, created_at, updated_at)',
      orders,
      (o) => {
        const c = (o * 48271) % customers
        return `(${o + 1}, '${o % 2 ? 'tmall' : 'youzan'}', 'GEN${String(o).padStart(9, '0')}', '${STATUSES[o % STATUSES.length]}', ${sqlTime(now - (o % 730) * day)}, ${1_000 + ((o * 37) % 50_000)}, ${c + 1}, 'wmGen${String(c).padStart(7, '0')}', 'generator', ${at}, ${at})`
      },
      (done) => done % 1_000_000 === 0 && progress(`  orders ${done}`),
    )
    await insertRows(connection, 'order_items', '(order_id, line_no, name, quantity)', orders, (o) => `(${o + 1}, 1, ${text(ITEMS[o % ITEMS.length]!)}, ${(o % 3) + 1})`, (done) => done % 1_000_000 === 0 && progress(`  items ${done}`))
  } finally {
    await connection.end()
  }
  await recomputeManagerLinks(dataSource.manager)
  await dataSource.query('ANALYZE TABLE customers, follow_relations, orders, order_items, follow_tags, follow_ups')
  return { members, customers, follows: customers * FOLLOWS_PER_CUSTOMER, orders: customers * ORDERS_PER_CUSTOMER, followTags: Math.floor((customers * FOLLOWS_PER_CUSTOMER) / 2), followUps: Math.floor((customers * FOLLOWS_PER_CUSTOMER) / 10) }
}
