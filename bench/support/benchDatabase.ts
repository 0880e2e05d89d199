import { randomBytes } from 'node:crypto'
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise'

export interface BenchDatabase {
  name: string
  /** DATABASE_URL for the server under test. */
  url: string
  /** The MySQL server's version and the settings that decide what a commit costs. */
  describeServer(): Promise<Record<string, string>>
  /** Server-wide InnoDB counters (other databases on the server count too). */
  innodbCounters(): Promise<InnodbCounters>
  /** Inbox rows by status. */
  inboxByStatus(): Promise<Record<string, number>>
  drop(): Promise<void>
}

export interface InnodbCounters {
  rowLockWaits: number
  rowLockTimeMs: number
  /** fsync() calls on InnoDB files (redo log included): durable commits cost one each, less group commit. */
  fsyncs: number
}

/**
 * A fresh utf8mb4 database on the MySQL server at `serverUrl`, named at random so that runs
 * never meet, and one connection of our own to watch it. drop() removes both.
 */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `scrm_bench_${randomBytes(6).toString('hex')}`
  const server = new URL(serverUrl)
  server.pathname = '/'
  const connection: Connection = await createConnection({ uri: server.toString() })
  try {
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
  } catch (error) {
    await connection.end()
    throw error
  }
  const url = new URL(server)
  url.pathname = `/${name}`

  return {
    name,
    url: url.toString(),
    async describeServer() {
      const [version] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version')
      const [settings] = await connection.query<RowDataPacket[]>(
        "SHOW VARIABLES WHERE Variable_name IN ('innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin', 'innodb_buffer_pool_size')",
      )
      return { version: String(version[0]!.version), ...Object.fromEntries(settings.map((row) => [row.Variable_name, String(row.Value)])) }
    },
    async innodbCounters() {
      const [rows] = await connection.query<RowDataPacket[]>(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_data_fsyncs')",
      )
      const value = (name: string) => Number(rows.find((row) => row.Variable_name === name)?.Value ?? NaN)
      return { rowLockWaits: value('Innodb_row_lock_waits'), rowLockTimeMs: value('Innodb_row_lock_time'), fsyncs: value('Innodb_data_fsyncs') }
    },
    async inboxByStatus() {
      const [rows] = await connection.query<RowDataPacket[]>(`SELECT status, COUNT(*) AS n FROM \`${name}\`.inbox_events GROUP BY status`)
      return Object.fromEntries(rows.map((row) => [String(row.status), Number(row.n)]))
    },
    async drop() {
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``)
      } finally {
        await connection.end()
      }
    },
  }
}
