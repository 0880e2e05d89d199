import { afterEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createDataSource } from './dataSource'
import { migrate, pendingMigrations, revertLastMigration } from './migrate'
import { Customer, Member } from '../entities'
import { createTestDatabase, migratedDatabase, rawText, testDatabaseKind, type TestDatabase } from '../../test/database'
import { buildCustomer, buildMember } from '../../test/factories'
import { runScript } from '../../test/processes'
import { migrations } from './migrations'

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
