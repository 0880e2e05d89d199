/**
 * SPEC §7: the console's team page API (GET /api/console/team) at p95 ≤ 200 ms for a
 * 50-member team on the 1M-customer company. The generated company's teams have 10 members,
 * so the benchmark makes one of 50 for its run: a member of the company becomes the manager
 * of 50 others (manager_links rows it removes afterwards). One server process, calls one at a
 * time as a manager reloading the page.
 */
import { Agent } from 'node:http'
import { createSession } from '../server/auth/sessions'
import type { TeamReport } from '../server/api/contract'
import type { Benchmark } from './support/benchmark'
import { openCompanyDatabase } from './support/companyDatabase'
import { get, startCompanyServer } from './support/companyServer'
import { summarizeLatencies } from './support/latencyStats'
import { measureStolenCpu } from './support/machineCpu'

const BUDGET_P95_MS = 200
const TEAM_SIZE = 50
const WARMUP_CALLS = 20
const MEASURED_CALLS = Number(process.env.BENCH_CONSOLE_CALLS ?? 200)
/** The link source that marks the benchmark's own rows. */
const BENCH_SOURCE = 'bench'

export const consoleTeamBenchmark: Benchmark = {
  id: 'console-team',
  budget: `console team page API p95 ≤ ${BUDGET_P95_MS} ms for a ${TEAM_SIZE}-member team with 1M customers, 3M follows in MySQL`,
  async run({ teardown, progress }) {
    const scale = Number(process.env.BENCH_SCALE ?? 1)
    const company = await openCompanyDatabase(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/', scale, { teardown, progress })
    const { dataSource, counts } = company

    // The manager: the first member who manages nobody yet; the reports: the next 50 (who keep their own managers too).
    const members = (await dataSource.query(
      `SELECT id, userid FROM members WHERE id NOT IN (SELECT manager_id FROM manager_links) ORDER BY id LIMIT ${TEAM_SIZE + 1}`,
    )) as { id: number; userid: string }[]
    const [boss, ...reports] = members
    if (!boss || reports.length < TEAM_SIZE) throw new Error(`the company has ${members.length} members who manage nobody; the team needs ${TEAM_SIZE + 1}`)
    const forgetTeam = () => dataSource.query('DELETE FROM manager_links WHERE manager_id = ? AND source = ?', [boss.id, BENCH_SOURCE]).then(() => undefined)
    await forgetTeam()
    await dataSource.query(
      `INSERT INTO manager_links (member_id, manager_id, source) VALUES ${reports.map(() => '(?, ?, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE source = source`,
      reports.flatMap((r) => [r.id, boss.id, BENCH_SOURCE]),
    )
    teardown.defer('remove the benchmark team', forgetTeam)
    const teamSize = Number(((await dataSource.query('SELECT COUNT(*) AS n FROM manager_links WHERE manager_id = ?', [boss.id])) as { n: number }[])[0]!.n)
    const follows = Number(
      ((await dataSource.query('SELECT COUNT(*) AS n FROM follow_relations f JOIN manager_links l ON l.member_id = f.member_id WHERE l.manager_id = ?', [boss.id])) as { n: number }[])[0]!.n,
    )
    teardown.defer('delete the benchmark sessions', () => dataSource.query('DELETE FROM sessions').then(() => undefined))
    const { token } = await createSession(dataSource, boss.id)

    const server = await startCompanyServer(company, { benchmark: 'console-team', teardown })

    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    teardown.defer('close the HTTP agent', () => agent.destroy())
    const timed = async (path: string) => {
      const started = process.hrtime.bigint()
      const { status, body } = await get(agent, server.port, `${path}?manager=${encodeURIComponent(boss.userid)}`, `scrm_session=${token}`)
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (status !== 200) throw new Error(`${path} answered ${status}: ${body.toString().slice(0, 200)}`)
      return { ms, body: JSON.parse(body.toString()) as unknown }
    }
    const call = async () => {
      const { ms, body } = await timed('/api/console/team')
      return { ms, report: body as TeamReport }
    }
    progress(`warm-up: ${WARMUP_CALLS} calls`)
    let rows = 0
    for (let i = 0; i < WARMUP_CALLS; i++) rows = (await call()).report.members.length
    if (teamSize !== TEAM_SIZE || rows !== teamSize) throw new Error(`the team page listed ${rows} members; the team has ${teamSize}, not ${TEAM_SIZE}`)
    progress(`measuring: ${MEASURED_CALLS} calls`)
    const stolen = measureStolenCpu()
    const latencies = new Float64Array(MEASURED_CALLS)
    for (let i = 0; i < MEASURED_CALLS; i++) latencies[i] = (await call()).ms
    // The 30-day chart's call, which the page makes beside it once the table shows.
    progress(`measuring the trend: ${MEASURED_CALLS} calls`)
    for (let i = 0; i < WARMUP_CALLS; i++) await timed('/api/console/team/trend')
    const trendLatencies = new Float64Array(MEASURED_CALLS)
    for (let i = 0; i < MEASURED_CALLS; i++) trendLatencies[i] = (await timed('/api/console/team/trend')).ms
    const stolenPercent = stolen()
    const summary = summarizeLatencies(latencies)
    const trend = summarizeLatencies(trendLatencies)
    const passed = summary.p95 <= BUDGET_P95_MS
    return {
      passed,
      verdicts: [`team page API p95 ${summary.p95.toFixed(1)} ms (p50 ${summary.p50.toFixed(1)}, p99 ${summary.p99.toFixed(1)}) for ${teamSize} members and ${follows.toLocaleString('en')} follows — ${passed ? 'PASS' : 'FAIL'}`],
      headlines: [{ what: `team page API p95, ${teamSize}-member team`, figure: `${summary.p95.toFixed(1)} ms`, floor: null, ratio: null, budget: `≤ ${BUDGET_P95_MS} ms`, passed }],
      tables: [
        {
          title: `${MEASURED_CALLS} calls of each, one at a time; ${teamSize} members with ${follows} follows, in a company of ${counts.customers} customers and ${counts.follows} follows; steal ${stolenPercent.toFixed(0)} %`,
          columns: ['call', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
          rows: [
            ['GET /api/console/team', summary.p50.toFixed(1), summary.p95.toFixed(1), summary.p99.toFixed(1), summary.max.toFixed(1)],
            ['GET /api/console/team/trend (30 days; not budgeted)', trend.p50.toFixed(1), trend.p95.toFixed(1), trend.p99.toFixed(1), trend.max.toFixed(1)],
          ],
        },
      ],
      notes: [
        "Each call computes the team's figures as the digest does (followUpStats, for the team's members) and counts the follow-ups each wrote in the last 7 days.",
        "The trend counts the team's follow-ups, added and lost customers by day over the 30 days (one CASE over the day boundaries, each table read through an index), and reads the overdue figures team-figures recorded (none in the generated company).",
        'The generated teams have 10 members: this one is made for the run (manager_links with source "bench") and removed after it.',
      ],
      details: { budgetP95Ms: BUDGET_P95_MS, scale, teamSize, follows, latencyMs: summary, trendLatencyMs: trend, stolenCpuPercent: stolenPercent },
    }
  },
}
