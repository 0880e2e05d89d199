import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { testDatabaseKind } from '../../test/database'
import { runScript, type TestProcess } from '../../test/processes'
import { demoCustomerId } from './company'

/**
 * Demo mode across processes: a restarted demo and every command run beside it (SPEC §3.1,
 * §4.7) see one WeCom, the simulator state kept beside the demo's database.
 */

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

function demoDirectory(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'scrm-demo-state-'))
  cleanups.push(() => rmSync(cwd, { recursive: true, force: true }))
  return cwd
}

async function startDemo(cwd: string, env: Record<string, string> = {}): Promise<{ server: TestProcess; url: string; stop(): Promise<void> }> {
  const server = runScript('server/cli/start.ts', { env: { PORT: '0', ...env }, cwd })
  cleanups.push(async () => {
    if (server.child.exitCode === null) {
      server.kill('SIGKILL')
      await server.exited
    }
  })
  const [, url] = (await server.waitFor(/sidebar\s+(http:\/\/localhost:\d+)\/sidebar\//, 60_000)) as unknown as [string, string]
  return {
    server,
    url,
    stop: async () => {
      // To tsx alone, which passes it on once: start.ts handles one SIGTERM, and a second
      // one sent to the whole group at the same moment would kill it mid-shutdown.
      server.child.kill('SIGTERM')
      expect((await server.exited).code, server.output()).toBe(0)
    },
  }
}

async function run(cwd: string, script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const command = runScript(script, { args, cwd })
  const { code } = await command.exited
  return { code, output: command.output() }
}

/** Reads the demo's SQLite database the way a person with sqlite3 would. */
function query<T>(cwd: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(cwd, 'data', 'scrm.sqlite'), { readonly: true, timeout: 5_000 })
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}

const followStatuses = (cwd: string, externalUserid: string) =>
  query<{ status: string }>(cwd, 'SELECT f.status FROM follow_relations f JOIN customers c ON c.id = f.customer_id WHERE c.external_userid = ?', externalUserid).map((row) => row.status)
const tagName = (cwd: string, wecomTagId: string) => query<{ name: string }>(cwd, 'SELECT name FROM tags WHERE wecom_tag_id = ?', wecomTagId)[0]?.name

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A form post on the simulator page, as the browser sends it. */
async function change(url: string, action: string, fields: Record<string, string>): Promise<string> {
  const response = await fetch(`${url}/wecom-sim/__demo/${action}`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' })
  expect(response.status).toBe(303)
  return new URL(response.headers.get('location') ?? '', url).searchParams.get('ok') ?? `not ok: ${response.headers.get('location')}`
}

const simulatorPage = async (url: string) => (await fetch(`${url}/wecom-sim/`)).text()

// Demo mode is SQLite by definition: these run once, in the SQLite project.
describe.runIf(testDatabaseKind === 'sqlite')('demo mode across processes', () => {
  it('a restarted demo keeps its simulator state beside its database, and the two agree', { timeout: 120_000 }, async () => {
    const cwd = demoDirectory()
    const first = await startDemo(cwd)
    const lost = demoCustomerId(1)
    expect(await change(first.url, 'member-deletes-customer', { userid: 'zhangsan', externalUserid: lost })).toContain('回调已送达 (200)')
    expect(await change(first.url, 'admin-renames-tag', { tagId: 'etDemoVip', name: '钻石客户' })).toContain('回调已送达 (200)')
    await until(() => tagName(cwd, 'etDemoVip') === '钻石客户' && !followStatuses(cwd, lost).includes('active'))
    await first.stop()

    const second = await startDemo(cwd)
    const page = await simulatorPage(second.url)
    expect(page).toContain('钻石客户')
    expect(page).not.toContain('重要客户')
    // Customer 1 was followed by zhangsan only: WeCom now lists nobody following them.
    expect(page).toMatch(new RegExp(`<code>${lost}</code></td><td>[^<]*</td><td><span class="muted">没有跟进成员</span>`))
    // The start's own sync read the kept state: our database still agrees.
    expect(tagName(cwd, 'etDemoVip')).toBe('钻石客户')
    expect(followStatuses(cwd, lost)).not.toContain('active')
    await second.stop()
    expect(existsSync(join(cwd, 'data', 'scrm.simulator.json'))).toBe(true)
  })

  it('every command runs in demo mode without a server, on the state a later demo start finds', { timeout: 120_000 }, async () => {
    const cwd = demoDirectory()

    const digest = await run(cwd, 'server/cli/job.ts', ['daily-digest', '--dry-run'])
    expect(digest.output).not.toContain('needs a WeCom app')
    expect(digest.code).toBe(0)
    // The manager's markdown digest, with a line per direct report.
    expect(digest.output).toMatch(/^--- digest:wanglei#1\n/m)
    expect(digest.output).toContain('赵敏')

    const segments = await run(cwd, 'server/cli/job.ts', ['segments'])
    expect(segments.code).toBe(0)
    const sync = await run(cwd, 'server/cli/sync.ts', [])
    expect(sync.code).toBe(0)
    expect(sync.output).toContain('Sync finished')
    expect((await run(cwd, 'server/cli/job.ts', ['reconcile', '--dry-run'])).code).toBe(0)

    // The tag group the segments job made through the command's own simulator is in WeCom for the demo too.
    const demo = await startDemo(cwd)
    expect(await simulatorPage(demo.url)).toContain('客户价值')
    await demo.stop()
  })

  it('a command run beside a running demo talks to its simulator', { timeout: 120_000 }, async () => {
    const cwd = demoDirectory()
    // A digest time that has not come yet today (but in its last minute): the start's catch-up sends nothing.
    const demo = await startDemo(cwd, { DIGEST_CRON: '59 23 * * *' })

    const dryRun = await run(cwd, 'server/cli/job.ts', ['daily-digest', '--dry-run'])
    expect(dryRun.code).toBe(0)
    expect(dryRun.output).toMatch(/^--- digest:wanglei#1\n/m)
    expect(await simulatorPage(demo.url)).toContain('应用消息（0）')

    const digest = await run(cwd, 'server/cli/job.ts', ['daily-digest', '--date', '2030-01-01'])
    expect(digest.code).toBe(0)
    const page = await simulatorPage(demo.url)
    expect(page).not.toContain('应用消息（0）')
    expect(page).toContain('发给：王磊（wanglei）')
    await demo.stop()
  })
})
