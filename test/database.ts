import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConnection, type RowDataPacket } from 'mysql2/promise'
import type { DataSource } from 'typeorm'
import type { DatabaseConfig } from '../config'
import { createDataSource } from '../server/db/dataSource'
import { migrate } from '../server/db/migrate'

type DatabaseKind = 'sqlite' | 'mysql'

/** Which database this test project runs on (vitest.config.ts sets TEST_DB). */
export const testDatabaseKind: DatabaseKind = process.env.TEST_DB === 'mysql' ? 'mysql' : 'sqlite'

/** Where test/globalSetup.ts leaves each kind's migrated template, for every worker to copy. */
const TEMPLATE_VARIABLE: Record<DatabaseKind, string> = { sqlite: 'SCRM_TEST_TEMPLATE_SQLITE', mysql: 'SCRM_TEST_TEMPLATE_MYSQL' }

export interface TestDatabase {
  config: DatabaseConfig
  /** DATABASE_URL for our commands run as child processes. */
  url: string
  /** The database name on MySQL, the file on SQLite. */
  name: string
  drop(): Promise<void>
}

/** A new, empty database of this project's kind (or the one given), dropped by drop(). */
export async function createTestDatabase(kind: DatabaseKind = testDatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'scrm-test-'))
    const path = join(dir, 'scrm.sqlite')
    return { config: { kind: 'sqlite', path }, url: `sqlite:${path}`, name: path, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const server = new URL(process.env.TEST_MYSQL_URL!)
  const name = `scrm_test_${randomBytes(6).toString('hex')}`
  const admin = await createConnection({ uri: server.toString() })
  // latin1 on purpose: our DDL must carry utf8mb4 itself, whatever the server's default.
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET latin1`)
  await admin.end()
  const url = new URL(server)
  url.pathname = `/${name}`
  return {
    config: { kind: 'mysql', url: url.toString() },
    url: url.toString(),
    name,
    drop: async () => {
      const connection = await createConnection({ uri: server.toString() })
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await connection.end()
    },
  }
}

/**
 * A migrated database and an open DataSource on it; cleanup() closes and drops both. A copy
 * of the run's migrated template when there is one (test/globalSetup.ts); migrate() still
 * runs, finding nothing pending, or what watch mode added since the template was made.
 */
export async function migratedDatabase(): Promise<TestDatabase & { dataSource: DataSource; cleanup(): Promise<void> }> {
  const database = await createTestDatabase()
  const template = process.env[TEMPLATE_VARIABLE[testDatabaseKind]]
  if (template) await copyDatabase(template, database)
  const dataSource = createDataSource(database.config)
  await dataSource.initialize()
  await migrate(dataSource)
  return {
    ...database,
    dataSource,
    cleanup: async () => {
      if (dataSource.isInitialized) await dataSource.destroy()
      await database.drop()
    },
  }
}

/**
 * Migrates a database of the given kind once, for migratedDatabase() to copy, and names it
 * in the environment that vitest hands to its workers. Returns what drops it again.
 */
export async function prepareMigratedTemplate(kind: DatabaseKind): Promise<() => Promise<void>> {
  const template = await createTestDatabase(kind)
  const dataSource = createDataSource(template.config)
  await dataSource.initialize()
  try {
    await migrate(dataSource)
  } finally {
    // Closing SQLite checkpoints its WAL into the file, so the file alone is the database.
    await dataSource.destroy()
  }
  process.env[TEMPLATE_VARIABLE[kind]] = template.name
  return template.drop
}

/** Fills the new, empty `target` with the template's tables and rows. */
async function copyDatabase(template: string, target: TestDatabase): Promise<void> {
  if (target.config.kind === 'sqlite') return copyFileSync(template, target.name)
  const connection = await createConnection({ uri: target.url, multipleStatements: true })
  try {
    const [tables] = await connection.query<RowDataPacket[]>('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [template])
    const ddl = await Promise.all(tables.map(async ({ name }) => {
      const [[row]] = await connection.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${template}\`.\`${name}\``)
      // SHOW CREATE TABLE keeps foreign keys and the utf8mb4 table options (CREATE TABLE LIKE drops foreign keys).
      return `${row!['Create Table']};\nINSERT INTO \`${name}\` SELECT * FROM \`${template}\`.\`${name}\`;`
    }))
    // Tables come in any order: a foreign key may name a table created later in the script.
    await connection.query(`SET FOREIGN_KEY_CHECKS = 0;\n${ddl.join('\n')}\nSET FOREIGN_KEY_CHECKS = 1;`)
  } finally {
    await connection.end()
  }
}

/** The raw text a database stores for a column, bypassing every driver conversion. */
export async function rawText(dataSource: DataSource, table: string, column: string, id: number): Promise<string> {
  const expression = testDatabaseKind === 'mysql' ? `CAST(${column} AS CHAR)` : column
  const [row] = await dataSource.query(`SELECT ${expression} AS value FROM ${table} WHERE id = ?`, [id])
  return String(row.value)
}
