import type { EntityManager } from 'typeorm'
import { incomingValue, onConflictUpdate, valuesList } from './dialect'

/**
 * Runs raw SQL with `:name` parameters through the driver's own escaping, which also
 * turns Dates into each database's UTC datetime text (raw better-sqlite3 cannot bind a Date).
 */
export async function query<T = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  parameters: Record<string, unknown> = {},
): Promise<T[]> {
  const [escaped, values] = manager.connection.driver.escapeQueryWithParameters(sql, parameters)
  return manager.query(escaped, values)
}

/** A DATETIME from a raw row as an instant: MySQL gives Dates, SQLite the stored UTC text. */
export const rawInstant = (value: Date | string): Date => (value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`))

/** A DATE from a raw row as 'YYYY-MM-DD' (MySQL gives a Date at UTC midnight). */
export const rawDay = (value: Date | string | null): string | null =>
  value === null ? null : value instanceof Date ? value.toISOString().slice(0, 10) : value.slice(0, 10)

/** A Date as both databases keep DATETIME(3): UTC text (better-sqlite3 cannot bind a Date). */
function sqlInstant(value: Date): string {
  const iso = value.toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`
}

/**
 * A multi-row INSERT (its values written in by valuesList), for bulk writes where TypeORM's query
 * builder costs more CPU than the database does. `upsert` turns it into an insert-or-update
 * on the unique key `keys`, overwriting `update`, and setting `fillWhenNull` only where it is
 * still NULL (MySQL's ON DUPLICATE KEY, SQLite's ON CONFLICT).
 */
export async function insertRows(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  upsert?: { keys: readonly string[]; update: readonly string[]; fillWhenNull?: readonly string[] },
): Promise<void> {
  if (rows.length === 0) return
  // A batch's rows share their write times: each instant is turned into text once (a
  // million-order import spent 1.9 s in sqlInstant when only a repeat of the same Date was caught).
  const texts = new Map<number, string>()
  const bindable = (value: unknown) => {
    if (!(value instanceof Date)) return value
    const time = value.getTime()
    let text = texts.get(time)
    if (text === undefined) texts.set(time, (text = sqlInstant(value)))
    return text
  }
  const values = valuesList(manager, rows, bindable)
  let sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.sql}`
  if (upsert) {
    const incoming = (c: string) => incomingValue(manager, c)
    const assignments = [
      ...upsert.update.map((c) => `${c} = ${incoming(c)}`),
      ...(upsert.fillWhenNull ?? []).map((c) => `${c} = COALESCE(${c}, ${incoming(c)})`),
    ].join(', ')
    sql += onConflictUpdate(manager, upsert.keys, assignments)
  }
  await manager.query(sql, values.parameters)
}
