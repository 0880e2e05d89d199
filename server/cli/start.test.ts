import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createDataSource } from '../db/dataSource'
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../../test/database'
import { runScript, type TestProcess } from '../../test/processes'
import { migrations } from '../db/migrations'

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

function start(env: Record<string, string>, cwd?: string): TestProcess {
  const server = runScript('server/cli/start.ts', { env: { PORT: '0', ...env }, cwd, recordModules: true })
  cleanups.push(async () => {
    if (server.child.exitCode === null) {
      server.kill('SIGKILL')
      await server.exited
    }
  })
  return server
}


async function testDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase()
  cleanups.push(database.drop)
  return database
}

const production = {
  WECOM_CORP_ID: 'ww0123456789abcdef',
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 'app-secret-never-logged',
  WECOM_TOKEN: 'QDG6eK',
  WECOM_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  SESSION_SECRET: 'session-secret-never-logged-0123456789',
}

describe(`npm start on ${testDatabaseKind}`, () => {
  it.runIf(testDatabaseKind === 'sqlite')('with nothing configured, runs the demo on SQLite and prints its URLs', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'scrm-demo-'))
    cleanups.push(() => rmSync(empty, { recursive: true, force: true }))
    const server = start({}, empty)
    const [, url] = await server.waitFor(/sidebar\s+(http:\/\/localhost:\d+)\/sidebar\//)
    expect(server.output()).toContain('演示模式')
    expect(server.output()).toMatch(/health\s+http:\/\/localhost:\d+\/healthz/)
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    expect(existsSync(join(empty, 'data', 'scrm.sqlite'))).toBe(true)
    const metrics = await (await fetch(`${url}/metrics`)).text()
    for (const name of ['inbox_received_total', 'inbox_processed_total', 'inbox_failed_attempts_total', 'inbox_dead_total', 'inbox_lag_seconds', 'inbox_pending']) {
      expect(metrics).toContain(`# TYPE ${name} `)
    }

    // The demo company was seeded in the simulator and synced into our database.
    const db = new Database(join(empty, 'data', 'scrm.sqlite'), { readonly: true })
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
    expect(count('members')).toBeGreaterThanOrEqual(4)
    expect(count('customers')).toBeGreaterThanOrEqual(30)
    expect(count('follow_relations')).toBeGreaterThanOrEqual(30)
    expect(count('tags')).toBeGreaterThan(0)
    expect(count('manager_links')).toBeGreaterThanOrEqual(3)
    expect(count('orders')).toBeGreaterThan(0)
    expect(count('scripts')).toBeGreaterThan(0)
    const names = db.prepare('SELECT name FROM customers').all() as { name: string }[]
    expect(names.some((row) => /\p{Extended_Pictographic}/u.test(row.name))).toBe(true)
    expect(Math.max(...names.map((row) => [...row.name].length))).toBeGreaterThan(40)
    db.close()
    // Demo mode loads the simulator and its console (the production start below must not).
    expect(server.loadedModules()).toEqual(expect.arrayContaining(['server/demo/demoServer.ts', 'simulator/api/simulator.ts', 'simulator/console/demoConsole.ts']))
  })

  it('with WeCom configured, serves on the configured database and logs no secret', async () => {
    const database = await testDatabase()
    const server = start({ ...production, DATABASE_URL: database.url })
    const [, url] = await server.waitFor(/sidebar\s+(http:\/\/localhost:\d+)\/sidebar\//)
    expect(server.output()).not.toContain('演示模式')
    expect(server.output()).toContain(testDatabaseKind === 'mysql' ? 'mysql://' : 'sqlite:')
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(200)
    // No simulator or demo code runs in production: server/demo/ is imported only in demo mode.
    const loaded = server.loadedModules()
    expect(loaded).toContain('server/server.ts')
    expect(loaded.filter((path) => path.startsWith('simulator/') || path.startsWith('server/demo/'))).toEqual([])
    server.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.output()).toContain('"msg":"stopped"')
    for (const secret of [production.WECOM_SECRET, production.SESSION_SECRET, production.WECOM_AES_KEY]) {
      expect(server.output()).not.toContain(secret)
    }
  })

  it('refuses to start on a bad variable, naming it, and writes nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'scrm-bad-'))
    cleanups.push(() => rmSync(empty, { recursive: true, force: true }))
    const server = start({ DATABASE_URL: 'postgres://localhost/scrm' }, empty)
    expect((await server.exited).code).toBe(1)
    expect(server.output()).toContain('DATABASE_URL: must be mysql://user:pass@host:port/db or sqlite:<path>')
    expect(existsSync(join(empty, 'data'))).toBe(false)
  })

  it('two processes starting together on one database migrate it exactly once', async () => {
    const database = await testDatabase()
    // WeCom mode: the demo would also sync its company at start, and two processes writing
    // one SQLite file is not a supported setup (SQLite is for one process).
    const env = { ...production, DATABASE_URL: database.url }
    // On SQLite, hold the file until both processes are up and waiting on it, so that
    // they really reach the migrations at the same moment.
    const barrier = database.config.kind === 'sqlite' ? new Database(database.config.path) : null
    barrier?.exec('BEGIN EXCLUSIVE')
    const first = start(env)
    const second = start(env)
    if (barrier) {
      await new Promise((resolve) => setTimeout(resolve, 2_500))
      barrier.exec('COMMIT')
      barrier.close()
    }
    await Promise.all([first.waitFor(/"msg":"listening"/), second.waitFor(/"msg":"listening"/)])

    const appliedBy = [first, second].filter((server) => server.output().includes('"msg":"migrations applied"'))
    expect(appliedBy).toHaveLength(1)
    const dataSource = createDataSource(database.config)
    await dataSource.initialize()
    const rows: { name: string }[] = await dataSource.query('SELECT name FROM migrations')
    await dataSource.destroy()
    expect(rows.map((row) => row.name).sort()).toEqual(migrations.map((m) => new m().name).sort())
  })

  it('npm run migrate applies pending migrations, then finds none', async () => {
    const database = await testDatabase()
    const env = { DATABASE_URL: database.url }
    const first = runScript('server/cli/migrate.ts', { env })
    expect((await first.exited).code).toBe(0)
    expect(first.output()).toContain(`applied ${new migrations[0]!().name}`)
    const second = runScript('server/cli/migrate.ts', { env })
    expect((await second.exited).code).toBe(0)
    expect(second.output()).toContain('up to date')
  })
})
