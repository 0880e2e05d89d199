import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConnection } from 'mysql2/promise'
import type { DataSource } from 'typeorm'
import type { DatabaseConfig } from '../config'
import { createDataSource } from '../server/db/dataSource'
import { migrate } from '../server/db/migrate'

/** Which database this test project runs on (vitest.config.ts sets TEST_DB). */
export const testDatabaseKind: 'sqlite' | 'mysql' = process.env.TEST_DB === 'mysql' ? 'mysql' : 'sqlite'

export interface TestDatabase {
  config: DatabaseConfig
  /** DATABASE_URL for our commands run as child processes. */
  url: string
  /** The database name on MySQL, the file on SQLite. */
  name: string
  drop(): Promise<void>
}

/** A new, empty database of this project's kind, dropped by drop(). */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseKind === 'sqlite') {
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

/** A migrated database and an open DataSource on it; cleanup() closes and drops both. */
export async function migratedDatabase(): Promise<TestDatabase & { dataSource: DataSource; cleanup(): Promise<void> }> {
  const database = await createTestDatabase()
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

/** The raw text a database stores for a column, bypassing every driver conversion. */
export async function rawText(dataSource: DataSource, table: string, column: string, id: number): Promise<string> {
  const expression = testDatabaseKind === 'mysql' ? `CAST(${column} AS CHAR)` : column
  const [row] = await dataSource.query(`SELECT ${expression} AS value FROM ${table} WHERE id = ?`, [id])
  return String(row.value)
}
