import type { EntityManager } from 'typeorm'

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

export const isMysql = (manager: EntityManager) => manager.connection.options.type === 'mysql'

/** A DATETIME from a raw row as an instant: MySQL gives Dates, SQLite the stored UTC text. */
export const rawInstant = (value: Date | string): Date => (value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`))

/** A DATE from a raw row as 'YYYY-MM-DD' (MySQL gives a Date at UTC midnight). */
export const rawDay = (value: Date | string | null): string | null =>
  value === null ? null : value instanceof Date ? value.toISOString().slice(0, 10) : value.slice(0, 10)
