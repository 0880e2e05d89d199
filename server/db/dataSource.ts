import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { format, type SqlValue, type Timezone } from 'mysql2'
import { DataSource, type DataSourceOptions } from 'typeorm'
import type { DatabaseConfig } from '../../config'
import { migrations } from './migrations'
import { entities } from '../entities'
import { SnakeNamingStrategy } from './namingStrategy'

/**
 * mysql2's formatting, skipped for a statement sent without values: mysql2 looks for a `?`
 * in every statement, and a bulk insert's literals (insertRows: 400 KB a batch of orders)
 * were read through for nothing, 1.4 s of CPU in a million-order import.
 */
function formatUnlessBare(this: { config: { stringifyObjects?: boolean } }, sql: string, values: unknown, timeZone: Timezone): string {
  if (values === undefined || (Array.isArray(values) && values.length === 0)) return sql
  return format(sql, values as SqlValue[], this.config.stringifyObjects ?? false, timeZone)
}

/** A DataSource for MySQL or embedded SQLite, as DATABASE_URL says; not yet initialized. */
export function createDataSource(database: DatabaseConfig): DataSource {
  const common = {
    entities,
    migrations,
    migrationsTableName: 'migrations',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
  } satisfies Partial<DataSourceOptions>

  if (database.kind === 'mysql') {
    return new DataSource({
      ...common,
      type: 'mysql',
      url: database.url,
      // utf8mb4 on the wire; the binary collation matches the tables' (see columns.ts).
      charset: 'utf8mb4_bin',
      // mysql2 writes and reads DATETIME as UTC, whatever the process's TZ.
      timezone: 'Z',
      connectTimeout: 5_000,
      // mysql2 captures a stack trace at every query for its errors (a sidebar panel call spent
      // 0.08 ms in it); TypeORM's QueryFailedError carries the SQL and the caller's async stack.
      trace: false,
      extra: { connectionLimit: 10, enableKeepAlive: true, queryFormat: formatUnlessBare },
    })
  }

  if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true })
  return immediateTransactions(new DataSource({
    ...common,
    type: 'better-sqlite3',
    database: database.path,
    // WAL lets readers (the sidebar) run beside the writer (the inbox worker).
    enableWAL: true,
    timeout: 5_000,
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma('foreign_keys = ON')
    },
  }))
}

/**
 * SQLite transactions begin IMMEDIATE (they take the write lock at BEGIN, waiting for it
 * up to `timeout`), not DEFERRED as TypeORM begins them. A deferred transaction that reads
 * and then writes fails at once with SQLITE_BUSY when another process (a command beside the
 * demo) wrote in between: its snapshot is stale, and SQLite does not wait in that case.
 */
function immediateTransactions(dataSource: DataSource): DataSource {
  const driver = dataSource.driver
  const createQueryRunner = driver.createQueryRunner.bind(driver)
  const patched = new WeakSet<object>()
  driver.createQueryRunner = (mode) => {
    const runner = createQueryRunner(mode)
    if (!patched.has(runner)) {
      patched.add(runner)
      const query = runner.query.bind(runner) as (sql: string, ...rest: unknown[]) => Promise<unknown>
      runner.query = ((sql: string, ...rest: unknown[]) => query(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql, ...rest)) as typeof runner.query
    }
    return runner
  }
  return dataSource
}

