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
