import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { TableColumn, TableIndex, type DataSource, type MigrationInterface, type QueryRunner } from 'typeorm'
import { column as c, createTable } from './columns'
import { createDataSource } from './dataSource'
import { migrate, pendingMigrations, revertLastMigration } from './migrate'
import { Customer, Member, OutboxMessage } from '../entities'
import { deliverOnce } from '../outbox/outbox'
import { saveOrders } from '../orders/saveOrders'
import { createTestDatabase, migratedDatabase, rawText, testDatabaseKind, type TestDatabase } from '../../test/database'
import { buildCustomer, buildMember } from '../../test/factories'
import { runScript } from '../../test/processes'
import { migrations } from './migrations'
import { InitialSchema1795392000000 } from '../../migrations/1795392000000-InitialSchema'
import { WecomIntegration1795392100000 } from '../../migrations/1795392100000-WecomIntegration'
import { Sessions1795392200000 } from '../../migrations/1795392200000-Sessions'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function tableNames(dataSource: DataSource): Promise<string[]> {
  const rows: { name: string }[] =
    testDatabaseKind === 'mysql'
      ? await dataSource.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()')
      : await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
  return rows.map((row) => row.name).sort()
}

describe(`migrations on ${testDatabaseKind}`, () => {
  it('apply, revert to an empty schema, and apply again', async () => {
    const database = await createTestDatabase()
    const dataSource = createDataSource(database.config)
    await dataSource.initialize()
    cleanups.push(async () => {
      await dataSource.destroy()
      await database.drop()
    })

    expect(await pendingMigrations(dataSource)).toEqual(migrations.map((m) => new m().name))
    expect(await migrate(dataSource)).toHaveLength(migrations.length)
    expect(await pendingMigrations(dataSource)).toEqual([])
    expect(await migrate(dataSource)).toEqual([])
    const tables = await tableNames(dataSource)
    for (const entity of dataSource.entityMetadatas) expect(tables).toContain(entity.tableName)

    for (let i = 0; i < migrations.length; i++) await revertLastMigration(dataSource)
    expect(await tableNames(dataSource)).toEqual(['migrations'])

    expect(await migrate(dataSource)).toHaveLength(migrations.length)
    await buildMember(dataSource)
    expect(await dataSource.getRepository(Member).count()).toBe(1)
  })

  it.runIf(testDatabaseKind === 'mysql')('two connections migrating at once apply each migration once', async () => {
    const database = await createTestDatabase()
    const [a, b] = [createDataSource(database.config), createDataSource(database.config)]
    await Promise.all([a.initialize(), b.initialize()])
    cleanups.push(async () => {
      await Promise.all([a.destroy(), b.destroy()])
      await database.drop()
    })
    const applied = await Promise.all([migrate(a), migrate(b)])
    expect(applied.map((names) => names.length).sort()).toEqual([0, migrations.length])
    const [row] = await a.query('SELECT COUNT(*) AS n FROM migrations')
    expect(Number(row.n)).toBe(migrations.length)
  })

  it('keeps every uniqueness the logic relies on', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    const customer = await buildCustomer(dataSource, { externalUserid: 'wmSame' })
    await expect(buildCustomer(dataSource, { externalUserid: 'wmSame' })).rejects.toThrow()
    // WeCom ids are case-sensitive: differing only in case is another customer.
    await buildCustomer(dataSource, { externalUserid: 'wmsame' })
    const member = await buildMember(dataSource)
    const now = new Date()
    const relation = { memberId: member.id, customerId: customer.id, remarkMobiles: [], addedAt: now, createdAt: now, updatedAt: now }
    await dataSource.getRepository('FollowRelation').insert(relation)
    await expect(dataSource.getRepository('FollowRelation').insert(relation)).rejects.toThrow()
  })

  it('round-trips a nickname of emoji, CJK and astral characters byte for byte', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    const nickname = '🦄测试𠮷'
    const customer = await buildCustomer(dataSource, { name: nickname })
    const read = await dataSource.getRepository(Customer).findOneByOrFail({ id: customer.id })
    expect(Buffer.from(read.name, 'utf8').equals(Buffer.from(nickname, 'utf8'))).toBe(true)
    if (testDatabaseKind === 'mysql') {
      const [row] = await dataSource.query('SELECT HEX(name) AS hex FROM customers WHERE id = ?', [customer.id])
      expect(row.hex).toBe(Buffer.from(nickname, 'utf8').toString('hex').toUpperCase())
    }
    // Emoji must not collapse onto each other under a collation: two names, two rows.
    await buildCustomer(dataSource, { name: '🦄' })
    await buildCustomer(dataSource, { name: '🐴' })
    expect(await dataSource.getRepository(Customer).countBy({ name: '🦄' })).toBe(1)
  })

  it.runIf(testDatabaseKind === 'mysql')('declares utf8mb4 in every table, even in a latin1 database', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    const [database] = await dataSource.query('SELECT @@character_set_database AS charset')
    expect(database.charset).toBe('latin1')
    const tables: { name: string; collation: string }[] = await dataSource.query(
      'SELECT TABLE_NAME AS name, TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
    )
    expect(tables.length).toBeGreaterThan(20)
    for (const table of tables) expect(table, table.name).toMatchObject({ collation: 'utf8mb4_bin' })
    const [connection] = await dataSource.query('SELECT @@character_set_connection AS charset')
    expect(connection.charset).toBe('utf8mb4')
  })

  it('stores a time written under Asia/Shanghai as the same instant read under UTC', async () => {
    const database: TestDatabase = await createTestDatabase()
    const dataSource = createDataSource(database.config)
    await dataSource.initialize()
    await migrate(dataSource)
    cleanups.push(async () => {
      await dataSource.destroy()
      await database.drop()
    })
    const DATABASE_URL = database.url

    const writer = runScript('test/fixtures/timeProbe.ts', { args: ['write'], env: { DATABASE_URL, TZ: 'Asia/Shanghai' } })
    expect(await writer.exited, writer.output()).toEqual({ code: 0, signal: null })
    const { id } = JSON.parse(writer.output())
    // Shanghai's 09:30 is written; the database holds the UTC wall time.
    expect(await rawText(dataSource, 'members', 'created_at', id)).toBe('2026-11-23 01:30:00.000')

    const reader = runScript('test/fixtures/timeProbe.ts', { args: ['read'], env: { DATABASE_URL, TZ: 'UTC' } })
    expect(await reader.exited, reader.output()).toEqual({ code: 0, signal: null })
    expect(JSON.parse(reader.output())).toEqual({ id, createdAt: '2026-11-23T01:30:00.000Z', localHour: 1 })
  })
})

/**
 * The sha256 of every landed migration. A landed migration is never edited: databases that
 * ran it would never see the change. A new migration gets its pin when it lands.
 */
const LANDED_MIGRATIONS: Record<string, string> = {
  '1795392000000-InitialSchema.ts': 'ff4f26eeda184f0e29a96da0b14d2edf5a9789d8faad2b62b0c758c57b637d9d',
  '1795392100000-WecomIntegration.ts': 'a297ec8ae1326157d687a79e8de505282bc61122162020d48753c251192a98b9',
  '1795392200000-Sessions.ts': '4fb4ae8df4c1e6d033a39a6caf9de303bff141b6a9ce2871fd4b36d731389220',
  // Edited after landing (see RepairEditedMigrations1795392500000); pinned as they are now.
  '1795392300000-Bot.ts': 'cb079fe1fde5093c2eff5636c57dd091194bf4eeb45b0c3d13c9746eb318edf9',
  '1795392400000-OrderSources.ts': '91ae99a29d0464423c7de0eb43b7db10c398bae65d31400f45c50915d84bde75',
  '1795392500000-RepairEditedMigrations.ts': '359f34210cb8ec8d4516996c6bdf8593b343bdd235f0104f5fb000987cda957b',
  '1795392600000-ProcessorSteps.ts': '3eac4736724355682551d787ff5d5fb7a78d6d4d43269caa6d03a53e75e4a698',
  '1795392700000-OrderItemsKeyedByLine.ts': '45c05fd24bbf0a99ec2fc7afe4cb6defcfec9e973f4012a8b5cf0e77071d7a7c',
  '1795392800000-TeamFigureIndexes.ts': 'a7af0fe935a915b32cf9cb9d500f3b22e7d8fa45866b3db466a14db709044c41',
  '1795392900000-OrderSourceLastOrder.ts': '16cb9d547890f86066346bcf5691ad04cf5faef9a4f130437ea0ef6d6cc813f0',
  '1795392950000-SyncRuns.ts': '5d50f779d52c5c8d0645ed41ea05c3299a4c989bef9e6a50ed28768e9c1d1d16',
  '1795393000000-ReminderRules.ts': '4d6e59e6f5d5b4b223a95c76f286d6418d154bc8dae0b499b87f3c5a0ee4055f',
  '1795393100000-MemberDailyFigures.ts': '184e986ea87dfcebf69a5270db25c4173de9f87aaacc7a78db1515f84cd240c2',
  '1795393200000-TrendIndexes.ts': 'd5d188f1782afec6d9f262e2e01667f8438855dd53f33b7fe26f8e52251a78ad',
  '1795393300000-Channels.ts': 'ace79ebb5d4e97b8b5d4c151ebf49d8431f581027e6628af787a2d36f3a6d16f',
  '1795393400000-ChannelFigureIndexes.ts': '9389dbbefccd44bca26f3b1d9854662a0683fa4cd1bf0fc94e6f464a01357c32',
}

/** The files server/db/migrations.ts imports, in its order. */
function listedMigrationFiles(): string[] {
  const source = readFileSync(new URL('./migrations.ts', import.meta.url), 'utf8')
  return [...source.matchAll(/from '\.\.\/\.\.\/migrations\/([^']+)'/g)].map((match) => `${match[1]}.ts`)
}

describe('landed migrations', () => {
  it('lists every migration of server/db/migrations.ts', () => {
    expect(listedMigrationFiles()).toHaveLength(migrations.length)
  })

  it.each(listedMigrationFiles())('%s is as it landed', (file) => {
    const checksum = createHash('sha256').update(readFileSync(new URL(`../../migrations/${file}`, import.meta.url))).digest('hex')
    const pinned = LANDED_MIGRATIONS[file]
    if (pinned === undefined) {
      expect.fail(`${file} has no pin yet: once it lands, add '${file}': '${checksum}' to LANDED_MIGRATIONS in server/db/migrations.test.ts`)
    }
    expect(checksum, `${file} changed after it landed: never edit a landed migration; add a new one`).toBe(pinned)
  })
})

// Bot1795392300000 and OrderSources1795392400000 as they first landed (20d25d9 and 3992b09),
// before later commits added columns to them: what databases migrated back then have run.
class BotAsLanded implements MigrationInterface {
  name = 'Bot1795392300000'

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('job_runs', new TableColumn(c.time('lease_until', { isNullable: true })))
    await createTable(q, {
      name: 'manager_overrides',
      columns: [c.int('member_id', { isPrimary: true }), c.int('manager_id', { isPrimary: true }), c.time('created_at')],
      indices: [{ name: 'ix_manager_overrides_manager_id', columnNames: ['manager_id'] }],
      foreignKeys: [
        { columnNames: ['member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        { columnNames: ['manager_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
    })
  }

  async down(): Promise<void> {}
}

class OrderSourcesAsLanded implements MigrationInterface {
  name = 'OrderSources1795392400000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'order_sources',
      columns: [c.id(), c.string('name', 32), c.string('platform', 32), c.string('secret', 64), c.time('created_at'), c.time('rotated_at', { isNullable: true })],
      indices: [{ name: 'uq_order_sources_name', columnNames: ['name'], isUnique: true }],
    })
    await createTable(q, {
      name: 'order_waits',
      columns: [c.int('order_id', { isPrimary: true }), c.string('kind', 16, { isPrimary: true }), c.string('platform', 32, { default: "''" }), c.string('value', 128)],
      indices: [{ name: 'ix_order_waits_kind_platform_value', columnNames: ['kind', 'platform', 'value'] }],
      foreignKeys: [{ columnNames: ['order_id'], referencedTableName: 'orders', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
    })
    for (const name of ['ix_orders_external_userid', 'ix_orders_unionid', 'ix_orders_phone', 'ix_orders_platform_buyer_id']) await q.dropIndex('orders', name)
  }

  async down(): Promise<void> {}
}

/** A table's columns and indexes as the query runner sees them, comparable across databases. */
async function shapeOf(dataSource: DataSource, tableName: string) {
  const runner = dataSource.createQueryRunner()
  try {
    const table = (await runner.getTable(tableName))!
    const describe = (column: TableColumn) => ({ name: column.name, type: column.type, length: column.length, nullable: column.isNullable, default: column.default })
    return {
      columns: table.columns.map(describe).sort((a, b) => a.name.localeCompare(b.name)),
      indices: table.indices.map((index: TableIndex) => `${index.name}(${index.columnNames.join(',')})${index.isUnique ? ' unique' : ''}`).sort(),
    }
  } finally {
    await runner.release()
  }
}

describe(`a database migrated before Bot and OrderSources were edited, on ${testDatabaseKind}`, () => {
  it('is repaired: it gains the columns they gained, and delivering and saving orders work', async () => {
    const database = await createTestDatabase()
    const old = createDataSource(database.config).setOptions({ migrations: [InitialSchema1795392000000, WecomIntegration1795392100000, Sessions1795392200000, BotAsLanded, OrderSourcesAsLanded] })
    await old.initialize()
    cleanups.push(async () => {
      if (old.isInitialized) await old.destroy()
      await database.drop()
    })
    expect(await migrate(old)).toEqual(['InitialSchema1795392000000', 'WecomIntegration1795392100000', 'Sessions1795392200000', 'Bot1795392300000', 'OrderSources1795392400000'])
    // Rows written back then, in the columns of back then.
    const then = '2026-11-20 01:00:00.000'
    await old.query(`INSERT INTO orders (platform, order_no, status, amount_cents, source, created_at, updated_at) VALUES ('tmall', 'OLD1', 'paid', 100, 'csv', '${then}', '${then}')`)
    await old.query(`INSERT INTO job_deliveries (job, business_date, recipient, status, attempts, created_at) VALUES ('daily-digest', '2026-11-20', 'digest:wanglei#1', 'sent', 1, '${then}')`)
    await old.destroy()

    const { dataSource, cleanup } = await openAndMigrate(database)
    cleanups.push(cleanup)
    const fresh = await migratedDatabase()
    cleanups.push(fresh.cleanup)
    for (const table of ['job_deliveries', 'orders']) expect(await shapeOf(dataSource, table), table).toEqual(await shapeOf(fresh.dataSource, table))

    const key = { job: 'loss-alert', businessDate: '2026-11-23', recipient: 'lisi@event1' }
    const sent: string[] = []
    expect(await deliverOnce(dataSource, key, 'card', async (message) => (sent.push(message), 'sent'), 'host-a:1:1:aa')).toEqual({ outcome: 'sent' })
    expect(sent).toEqual(['card'])
    expect(await dataSource.getRepository(OutboxMessage).findOneByOrFail(key)).toMatchObject({ status: 'sent', payload: JSON.stringify('card') })

    const order = { platform: 'tmall', status: 'paid' as const, paidAt: null, amountCents: 200, items: [{ name: '防晒霜', quantity: 1 }], externalUserid: null, unionid: null, phone: null, buyerId: null }
    const saved = await dataSource.transaction((tx) => saveOrders(tx, [{ ...order, orderNo: 'OLD1' }, { ...order, orderNo: 'NEW1' }], { source: 'csv' }))
    expect(saved.map((o) => [o.orderNo, o.result])).toEqual([['OLD1', 'updated'], ['NEW1', 'inserted']])
    const [items] = await dataSource.query(`SELECT COUNT(*) AS n FROM order_items`)
    expect(Number(items.n)).toBe(2)
  })

  it('is left alone when it already has them: the repair adds nothing twice', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    const before = await shapeOf(dataSource, 'orders')
    const runner = dataSource.createQueryRunner()
    try {
      await new (migrations.find((m) => new m().name === 'RepairEditedMigrations1795392500000')!)().up(runner)
    } finally {
      await runner.release()
    }
    expect(await shapeOf(dataSource, 'orders')).toEqual(before)
  })
})

describe(`order items keyed by line, on ${testDatabaseKind}`, () => {
  it('keeps the items a database had, in line order, still deleted with their order', async () => {
    const database = await createTestDatabase()
    const before = createDataSource(database.config).setOptions({ migrations: migrations.filter((m) => new m().name !== 'OrderItemsKeyedByLine1795392700000') })
    await before.initialize()
    cleanups.push(async () => {
      if (before.isInitialized) await before.destroy()
      await database.drop()
    })
    await migrate(before)
    const then = '2026-11-20 01:00:00.000'
    for (const orderNo of ['A1', 'A2']) {
      await before.query(`INSERT INTO orders (platform, order_no, status, amount_cents, source, items_digest, created_at, updated_at) VALUES ('tmall', '${orderNo}', 'paid', 100, 'csv', '', '${then}', '${then}')`)
    }
    const [first, second] = (await before.query("SELECT id FROM orders ORDER BY order_no")) as { id: number }[]
    await before.query(`INSERT INTO order_items (order_id, line_no, name, quantity) VALUES (${second!.id}, 1, '面膜', 3), (${first!.id}, 2, '精华', 1), (${first!.id}, 1, '防晒霜', 2)`)
    await before.destroy()

    const { dataSource, cleanup } = await openAndMigrate(database)
    cleanups.push(cleanup)
    const fresh = await migratedDatabase()
    cleanups.push(fresh.cleanup)
    expect(await shapeOf(dataSource, 'order_items')).toEqual(await shapeOf(fresh.dataSource, 'order_items'))
    const items = (rows: Record<string, unknown>[]) => rows.map((row) => [Number(row.order_id), Number(row.line_no), row.name, Number(row.quantity)])
    expect(items(await dataSource.query('SELECT order_id, line_no, name, quantity FROM order_items ORDER BY order_id, line_no'))).toEqual([
      [first!.id, 1, '防晒霜', 2],
      [first!.id, 2, '精华', 1],
      [second!.id, 1, '面膜', 3],
    ])
    // A line repeated is refused; deleting the order deletes its items.
    await expect(dataSource.query(`INSERT INTO order_items (order_id, line_no, name, quantity) VALUES (${first!.id}, 1, '重复', 1)`)).rejects.toThrow()
    await dataSource.query(`DELETE FROM orders WHERE id = ${first!.id}`)
    expect(items(await dataSource.query('SELECT order_id, line_no, name, quantity FROM order_items'))).toEqual([[second!.id, 1, '面膜', 3]])
  })
})

/** Our DataSource on an existing database, migrated with every migration we have. */
async function openAndMigrate(database: TestDatabase): Promise<{ dataSource: DataSource; cleanup(): Promise<void> }> {
  const dataSource = createDataSource(database.config)
  await dataSource.initialize()
  await migrate(dataSource)
  return { dataSource, cleanup: async () => void (dataSource.isInitialized && (await dataSource.destroy())) }
}
