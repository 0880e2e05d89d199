/**
 * Everything the code needs to know about how MySQL and embedded SQLite differ, outside
 * column types (columns.ts) and the migration lock (migrate.ts). Nothing else branches on
 * the database or reaches into TypeORM's driver.
 */
import { escape as mysqlLiteral } from 'mysql2'
import type { DataSource, EntityManager } from 'typeorm'

type Connected = DataSource | EntityManager

const options = (db: Connected) => ('connection' in db ? db.connection : db).options

export const isMysql = (db: Connected): boolean => options(db).type === 'mysql'

/**
 * A transaction in READ COMMITTED on MySQL: plain reads take no gap locks, so a claim or an
 * upsert never holds up the callback route's inserts. SQLite's transactions are serial anyway.
 */
export function readCommitted<T>(db: Connected, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  const manager = 'manager' in db ? db.manager : db
  return isMysql(db) ? manager.transaction('READ COMMITTED', work) : manager.transaction(work)
}

/**
 * Appended to a SELECT that claims rows: on MySQL, rows another worker holds are skipped
 * instead of waited for. SQLite has one writer, so there is nobody to skip.
 */
export const skipLocked = (db: Connected): string => (isMysql(db) ? ' FOR UPDATE SKIP LOCKED' : '')

/**
 * Appended to a SELECT whose rows the transaction will update: on MySQL it reads the latest
 * committed row and holds it. SQLite's transactions are serial, so a plain read is enough.
 */
export const lockForUpdate = (db: Connected): string => (isMysql(db) ? ' FOR UPDATE' : '')

/**
 * How many transactions may write at once: MySQL gives each its own connection; SQLite's
 * single connection cannot hold two transactions at once.
 */
export const parallelWriters = (db: Connected, onMysql: number): number => (isMysql(db) ? onMysql : 1)

/** The value a conflicting row would have written, in an upsert's update list. */
export const incomingValue = (db: Connected, column: string): string => (isMysql(db) ? `VALUES(${column})` : `excluded.${column}`)

/** The tail of an INSERT that updates `assignments` when a row with the same `keys` exists. */
export const onConflictUpdate = (db: Connected, keys: readonly string[], assignments: string): string =>
  isMysql(db) ? ` ON DUPLICATE KEY UPDATE ${assignments}` : ` ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${assignments}`

/**
 * Rows as the list after VALUES, with what to bind. On MySQL the values are written in as
 * literals, escaped as mysql2 escapes a bound value: its own pass would look for each of a
 * bulk insert's 30,000 `?` again. SQLite binds them (its literals cannot hold a NUL).
 * `bindable` turns a value into what the driver takes.
 */
export function valuesList(db: Connected, rows: readonly (readonly unknown[])[], bindable: (value: unknown) => unknown): { sql: string; parameters: unknown[] } {
  const parameters: unknown[] = []
  const tuples: string[] = new Array(rows.length)
  const mysql = isMysql(db)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!
    let tuple = '('
    for (let i = 0; i < row.length; i++) {
      if (i > 0) tuple += ', '
      if (mysql) tuple += mysqlLiteral(bindable(row[i]) as Parameters<typeof mysqlLiteral>[0])
      else {
        tuple += '?'
        parameters.push(bindable(row[i]))
      }
    }
    tuples[r] = `${tuple})`
  }
  return { sql: tuples.join(', '), parameters }
}

/** mysql2's callback pool, as TypeORM's MySQL driver holds it. */
export interface MysqlPool {
  query(sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void): void
}

/**
 * The driver's own connection pool, for the one hot path (journaling a callback before its
 * answer) where the query runner's per-call work would show. Null on SQLite.
 */
export const mysqlPool = (dataSource: DataSource): MysqlPool | null =>
  isMysql(dataSource) ? (dataSource.driver as unknown as { pool: MysqlPool }).pool : null

/** How many seconds `later` is after `earlier`, two datetime columns (or expressions) of a row. */
export const secondsBetween = (db: Connected, earlier: string, later: string): string =>
  isMysql(db) ? `TIMESTAMPDIFF(SECOND, ${earlier}, ${later})` : `((julianday(${later}) - julianday(${earlier})) * 86400)`
