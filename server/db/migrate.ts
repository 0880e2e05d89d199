import Database from 'better-sqlite3'
import { DataSource, MigrationExecutor, type QueryRunner } from 'typeorm'
import { column, createTable } from './columns'

const MYSQL_LOCK = 'wecom_scrm_migrate'
const LOCK_WAIT_SECONDS = 300

/**
 * Applies pending migrations under a database-wide lock, so that processes starting
 * together on one database migrate exactly once: the others wait, then find nothing
 * pending. Returns the names of the migrations this call applied.
 */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner()
  const unlock = await lockMigrations(dataSource, runner)
  try {
    await createMigrationsTable(runner)
    const executor = new MigrationExecutor(dataSource, runner)
    // MySQL commits DDL implicitly, so one transaction per migration is all it can do.
    executor.transaction = 'each'
    const applied = await executor.executePendingMigrations()
    return applied.map((migration) => migration.name)
  } finally {
    await unlock()
    await runner.release()
  }
}

/** Undoes the last applied migration (used by tests and by hand, never by start). */
export async function revertLastMigration(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner()
  const unlock = await lockMigrations(dataSource, runner)
  try {
    const executor = new MigrationExecutor(dataSource, runner)
    executor.transaction = 'each'
    await executor.undoLastMigration()
  } finally {
    await unlock()
    await runner.release()
  }
}

/** Names of known migrations the database has not applied yet; read-only. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const known = dataSource.migrations.map((migration) => migration.name!)
  const runner = dataSource.createQueryRunner()
  try {
    if (!(await runner.hasTable('migrations'))) return known
    const rows: { name: string }[] = await runner.query('SELECT name FROM migrations')
    const applied = new Set(rows.map((row) => row.name))
    return known.filter((name) => !applied.has(name))
  } finally {
    await runner.release()
  }
}

/** TypeORM's own ledger table, created by us so that it too is utf8mb4 on MySQL. */
async function createMigrationsTable(runner: QueryRunner): Promise<void> {
  if (await runner.hasTable('migrations')) return
  await createTable(runner, {
    name: 'migrations',
    columns: [column.id(), column.bigint('timestamp'), column.string('name', 255)],
  })
}

async function lockMigrations(dataSource: DataSource, runner: QueryRunner): Promise<() => Promise<void>> {
  const options = dataSource.options
  if (options.type === 'mysql') {
    // A named lock belongs to this connection; the migrations run on the same one.
    const [row] = await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [MYSQL_LOCK, LOCK_WAIT_SECONDS])
    if (Number(row?.acquired) !== 1) {
      throw new Error(`could not take the migration lock within ${LOCK_WAIT_SECONDS} s`)
    }
    return async () => {
      await runner.query('SELECT RELEASE_LOCK(?)', [MYSQL_LOCK])
    }
  }
  if (options.type === 'better-sqlite3' && options.database !== ':memory:') {
    // SQLite has no named locks: an exclusive transaction on a side file is one,
    // and the operating system releases it if this process dies.
    const lock = new Database(`${options.database}.migrate-lock`, { timeout: LOCK_WAIT_SECONDS * 1000 })
    lock.exec('BEGIN EXCLUSIVE')
    return async () => {
      lock.exec('COMMIT')
      lock.close()
    }
  }
  return async () => {}
}
