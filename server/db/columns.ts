/**
 * The one file that knows how MySQL and SQLite differ in column types.
 *
 * Rules the helpers keep:
 * - Every time is a UTC instant written by the application (`new Date()`); no column
 *   defaults to the database clock, whose time zone is the server's, not ours.
 * - Business dates (follow-up dates, job dates) are `date` columns read as 'YYYY-MM-DD'.
 * - MySQL tables are utf8mb4 with the binary collation: identifiers from WeCom are
 *   case-sensitive, emoji must not compare equal, and SQLite compares bytes too.
 */
import { Table, type QueryRunner, type TableColumnOptions, type TableOptions, type ValueTransformer } from 'typeorm'

export const MYSQL_TABLE_OPTIONS = 'InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin'

const isMysql = (runner: QueryRunner) => runner.connection.driver.options.type === 'mysql'

/** Creates a table; on MySQL its DDL carries utf8mb4 (TypeORM appends `engine` verbatim). */
export async function createTable(runner: QueryRunner, options: TableOptions): Promise<void> {
  await runner.createTable(
    new Table({ ...options, engine: isMysql(runner) ? MYSQL_TABLE_OPTIONS : undefined }),
  )
}

/** Portable column builders for migrations. */
export const column = {
  id: (name = 'id'): TableColumnOptions => ({
    name,
    type: 'integer',
    isPrimary: true,
    isGenerated: true,
    generationStrategy: 'increment',
  }),
  int: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'integer',
    ...extra,
  }),
  bigint: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'bigint',
    ...extra,
  }),
  string: (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    ...extra,
  }),
  /** Up to 64 KiB on MySQL. */
  text: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'text',
    ...extra,
  }),
  /** Up to 16 MiB on MySQL (callback plaintexts may approach the 1 MB body limit). */
  largeText: (runner: QueryRunner, name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: isMysql(runner) ? 'mediumtext' : 'text',
    ...extra,
  }),
  bool: (name: string, defaultValue: boolean): TableColumnOptions => ({
    name,
    type: 'boolean',
    default: defaultValue ? 1 : 0,
  }),
  /** A UTC instant with millisecond precision. */
  time: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'datetime',
    precision: 3,
    ...extra,
  }),
  date: (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'date',
    ...extra,
  }),
}

/** Entity-side helper: MySQL returns BIGINT as a string; our amounts fit a JS number. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
}

/** Entity-side helper: a JSON array stored as text, portable across both databases. */
export const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === undefined ? undefined : JSON.stringify(value)),
  from: (value: string | null) => (value === null ? null : JSON.parse(value)),
}
