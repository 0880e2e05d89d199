/**
 * The generated company (generateCompany.ts), kept between benchmark runs: at full size it
 * takes over 20 minutes to make, and the panel and digest benchmarks both read it. One
 * database per kind and scale, marked complete only once the generator finished; anything
 * else (an interrupted run, another generator version) is dropped and made again.
 * BENCH_REGENERATE=1 forces a fresh one. Benchmarks must leave it as they found it.
 */
import { createConnection, type RowDataPacket } from 'mysql2/promise'
import type { DataSource } from 'typeorm'
import { createDataSource } from '../../server/db/dataSource'
import { migrate } from '../../server/db/migrate'
import { generateCompany, GENERATOR_VERSION, type GeneratedCounts } from './generateCompany'
import { generateLargeCompany, LARGE_GENERATOR_VERSION } from './generateLargeCompany'
import type { Teardown } from './teardown'

/** Which company: its database name's prefix, the generator and the version that marks its copies. */
export interface CompanyKind {
  databasePrefix: string
  version: number
  generate(dataSource: DataSource, url: string, options: { scale: number; progress: (line: string) => void }): Promise<GeneratedCounts>
}

/** SPEC §7's company: 2,000 members, 1M customers, 3M follows, 5M orders at scale 1. */
export const STANDARD_COMPANY: CompanyKind = { databasePrefix: 'scrm_bench_company', version: GENERATOR_VERSION, generate: generateCompany }
/** The second digest size: 10,000 members, 10M follows at scale 1 (generateLargeCompany.ts). */
export const LARGE_COMPANY: CompanyKind = { databasePrefix: 'scrm_bench_company_10m', version: LARGE_GENERATOR_VERSION, generate: generateLargeCompany }

/**
 * Forgets the digest's runs and deliveries in a kept company: a benchmark that ran or marked
 * the digest must leave the company as it found it, and start from none.
 */
export async function forgetDigestRuns(dataSource: DataSource): Promise<void> {
  await dataSource.query("DELETE FROM job_deliveries WHERE job = 'daily-digest'")
  await dataSource.query("DELETE FROM job_runs WHERE job = 'daily-digest'")
}

export interface CompanyDatabase {
  name: string
  url: string
  dataSource: DataSource
  counts: GeneratedCounts
  /** How long generating took, now or when the kept copy was made. */
  generateSeconds: number
  reused: boolean
}

const MARKER_TABLE = 'bench_company'

export async function openCompanyDatabase(
  serverUrl: string,
  scale: number,
  { teardown, progress }: { teardown: Teardown; progress: (line: string) => void },
  kind: CompanyKind = STANDARD_COMPANY,
): Promise<CompanyDatabase> {
  const name = `${kind.databasePrefix}_${String(scale).replace(/\W/g, '_')}`
  const server = new URL(serverUrl)
  server.pathname = '/'
  const url = new URL(server)
  url.pathname = `/${name}`

  const admin = await createConnection({ uri: server.toString() })
  let kept: { counts: GeneratedCounts; seconds: number } | null = null
  try {
    if (process.env.BENCH_REGENERATE !== '1') kept = await readMarker(admin, name, kind.version)
    if (!kept) {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
    }
  } finally {
    await admin.end()
  }

  const dataSource = createDataSource({ kind: 'mysql', url: url.toString() })
  await dataSource.initialize()
  teardown.defer('close the company database', () => dataSource.destroy())
  // A kept copy gains the migrations written since it was made (new tables start empty).
  await migrate(dataSource)
  if (kept) {
    progress(`reusing the generated company in ${name} (BENCH_REGENERATE=1 makes it again)`)
    return { name, url: url.toString(), dataSource, counts: kept.counts, generateSeconds: kept.seconds, reused: true }
  }

  const started = Date.now()
  const counts = await kind.generate(dataSource, url.toString(), { scale, progress: (line) => progress(`generating: ${line}`) })
  const seconds = Math.round((Date.now() - started) / 1000)
  await dataSource.query(`CREATE TABLE ${MARKER_TABLE} (generator_version INT NOT NULL, counts TEXT NOT NULL, seconds INT NOT NULL)`)
  await dataSource.query(`INSERT INTO ${MARKER_TABLE} VALUES (?, ?, ?)`, [kind.version, JSON.stringify(counts), seconds])
  return { name, url: url.toString(), dataSource, counts, generateSeconds: seconds, reused: false }
}

/** The kept copy's counts, or null when there is none, it is unfinished, or another generator made it. */
async function readMarker(admin: Awaited<ReturnType<typeof createConnection>>, name: string, version: number) {
  const [tables] = await admin.query<RowDataPacket[]>('SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [name, MARKER_TABLE])
  if (tables.length === 0) return null
  const [rows] = await admin.query<RowDataPacket[]>(`SELECT generator_version, counts, seconds FROM \`${name}\`.${MARKER_TABLE}`)
  const row = rows[0]
  if (!row || Number(row.generator_version) !== version) return null
  return { counts: JSON.parse(String(row.counts)) as GeneratedCounts, seconds: Number(row.seconds) }
}
