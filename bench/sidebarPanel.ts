/**
 * SPEC §7: the sidebar's customer call (one per panel open) at p95 ≤ 10 ms and ≤ 1.5× its
 * floor with 1M customers, 3M follows and 5M orders in MySQL. One server process; calls one
 * at a time, as members opening chats, for random (member, customer) pairs each with its
 * own session. The floor (support/panelFloor.ts) reads the same rows for the same pairs with
 * hand-written mysql2 queries in this process; each panel call is paired with the floor's
 * read of the same pair, the two taking turns to go first, so both meet the same machine. The warm-up checks that the floor
 * read what the panel answered. BENCH_PANEL_CALLS sets the measured calls (default 3000).
 */
import { Agent } from 'node:http'
import { createSession } from '../server/auth/sessions'
import type { Panel } from '../server/api/contract'
import type { Benchmark } from './support/benchmark'
import { openCompanyDatabase } from './support/companyDatabase'
import { get, startCompanyServer } from './support/companyServer'
import { summarizeLatencies } from './support/latencyStats'
import { measureStolenCpu } from './support/machineCpu'
import { createPanelFloor, type PanelRows } from './support/panelFloor'
import { formatRatio } from './support/table'

const BUDGET_P95_MS = 10
/** The panel call's p95 may be this many times the floor's. */
const BUDGET_RATIO = 1.5
const WARMUP_CALLS = 300
const MEASURED_CALLS = Number(process.env.BENCH_PANEL_CALLS ?? 3_000)
const PAIRS = 1_000

/** Where the floor's rows differ from the panel's answer for the same pair; empty when they agree. */
function differences(panel: Panel, rows: PanelRows): string[] {
  const sameSet = (a: number[], b: number[]) => a.length === b.length && a.every((x) => b.includes(x))
  const tags = panel.tagGroups.flatMap((group) => group.tags)
  const checks: [string, boolean][] = [
    ['customer name', panel.customer.name === rows.customerName],
    ['follow-ups', JSON.stringify(panel.followUps.map((u) => u.id)) === JSON.stringify(rows.followUpIds)],
    ['tags', tags.length === rows.tagCount && sameSet(tags.filter((t) => t.marked).map((t) => t.id), rows.markedTagIds)],
    ['recent orders', JSON.stringify(panel.orders.recent.map((o) => o.orderNo)) === JSON.stringify(rows.orderNos)],
    ['order items', panel.orders.recent.reduce((n, o) => n + o.items.length, 0) === rows.itemCount],
    ['order totals', panel.orders.totals.count === rows.orderCount && panel.orders.totals.spent === (rows.spentCents / 100).toFixed(2)],
    // The panel puts scripts the customer's data fills first: the same scripts, maybe not in the same order.
    ['scripts', sameSet(panel.scripts.map((script) => script.id), rows.scriptIds)],
  ]
  return checks.filter(([, same]) => !same).map(([what]) => what)
}

export const sidebarPanelBenchmark: Benchmark = {
  id: 'sidebar-panel',
  budget: `sidebar customer call p95 ≤ ${BUDGET_P95_MS} ms and ≤ ${BUDGET_RATIO}× its floor (hand-written mysql2 queries) with 1M customers, 3M follows, 5M orders in MySQL`,
  async run({ teardown, progress }) {
    const scale = Number(process.env.BENCH_SCALE ?? 1)
    const company = await openCompanyDatabase(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/', scale, { teardown, progress })
    const { dataSource, counts, generateSeconds } = company

    // Random live follows: the member opens the sidebar in a chat with that customer.
    const ids = Array.from({ length: PAIRS * 2 }, (_, i) => 1 + ((i * 2_654_435_761) % counts.follows))
    const pairs = (await dataSource.query(
      `SELECT m.id AS member_id, c.external_userid FROM follow_relations f JOIN members m ON m.id = f.member_id JOIN customers c ON c.id = f.customer_id
        WHERE f.id IN (${ids.join(',')}) AND f.status <> 'deleted_by_member' LIMIT ${PAIRS}`,
    )) as { member_id: number; external_userid: string }[]
    // The company is kept for the next run: leave it without our sessions.
    teardown.defer('delete the benchmark sessions', () => dataSource.query('DELETE FROM sessions').then(() => undefined))
    const tokens = new Map<number, string>()
    for (const { member_id } of pairs) {
      if (!tokens.has(member_id)) tokens.set(member_id, (await createSession(dataSource, member_id)).token)
    }
    const floor = createPanelFloor(company.url)
    teardown.defer('close the floor pool', () => floor.close())

    const server = await startCompanyServer(company, { benchmark: 'sidebar-panel', teardown })

    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    teardown.defer('close the HTTP agent', () => agent.destroy())
    const elapsedMs = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6
    /**
     * One panel open and the floor's read of the same pair, both timed. Whichever reads a pair
     * first meets its pages outside the buffer pool (the company is larger than MariaDB's
     * default 128 MB), and the second finds them there: in a probe of 500 pairs the floor's p50
     * was 2.4 ms reading second and 4.7 ms reading first. So they take turns going first.
     */
    const call = async (i: number) => {
      const pair = pairs[i % pairs.length]!
      const token = tokens.get(pair.member_id)!
      const openPanel = async () => {
        const started = process.hrtime.bigint()
        const { status, body } = await get(agent, server.port, `/api/customers/${pair.external_userid}/panel`, `scrm_session=${token}`)
        if (status !== 200) throw new Error(`panel call answered ${status}`)
        return { ms: elapsedMs(started), body }
      }
      const readFloor = async () => {
        const started = process.hrtime.bigint()
        const rows = await floor.read(token, pair.external_userid)
        if (!rows) throw new Error(`the floor found no visible follow for member ${pair.member_id} and ${pair.external_userid}`)
        return { ms: elapsedMs(started), rows }
      }
      const floorFirst = i % 2 === 1
      const floorRead = floorFirst ? await readFloor() : null
      const panel = await openPanel()
      const { ms: floorMs, rows } = floorRead ?? (await readFloor())
      return { panelMs: panel.ms, floorMs, body: panel.body, rows }
    }
    progress(`warm-up: ${WARMUP_CALLS} calls, each checked against the floor's rows`)
    for (let i = 0; i < WARMUP_CALLS; i++) {
      const { body, rows } = await call(i)
      const differ = differences(JSON.parse(body.toString()) as Panel, rows)
      if (differ.length > 0) throw new Error(`the floor read other rows than the panel for pair ${i % pairs.length}: ${differ.join(', ')}`)
    }
    progress(`measuring: ${MEASURED_CALLS} calls and as many floor reads`)
    const stolen = measureStolenCpu()
    const latencies = new Float64Array(MEASURED_CALLS)
    const floorLatencies = new Float64Array(MEASURED_CALLS)
    for (let i = 0; i < MEASURED_CALLS; i++) {
      const { panelMs, floorMs } = await call(WARMUP_CALLS + i)
      latencies[i] = panelMs
      floorLatencies[i] = floorMs
    }
    const stolenPercent = stolen()
    const summary = summarizeLatencies(latencies)
    const floorSummary = summarizeLatencies(floorLatencies)
    const ratio = summary.p95 / floorSummary.p95
    const passed = summary.p95 <= BUDGET_P95_MS && ratio <= BUDGET_RATIO
    const row = (name: string, latency: typeof summary) => [name, latency.p50.toFixed(1), latency.p95.toFixed(1), latency.p99.toFixed(1), latency.max.toFixed(1), formatRatio(latency.p95 / floorSummary.p95)]
    return {
      passed,
      verdicts: [
        `panel call p95 ${summary.p95.toFixed(1)} ms (p50 ${summary.p50.toFixed(1)}, p99 ${summary.p99.toFixed(1)}), ${formatRatio(ratio)} the floor's p95 ${floorSummary.p95.toFixed(1)} ms, over ${MEASURED_CALLS} calls — ${passed ? 'PASS' : 'FAIL'}`,
      ],
      headlines: [
        {
          what: `panel call p95, ${counts.customers.toLocaleString('en')} customers`,
          figure: `${summary.p95.toFixed(1)} ms`,
          floor: `${floorSummary.p95.toFixed(1)} ms`,
          ratio,
          budget: `≤ ${BUDGET_P95_MS} ms and ≤ ${BUDGET_RATIO}× floor`,
          passed,
        },
      ],
      tables: [
        {
          title: `${MEASURED_CALLS} panel opens one at a time, ${pairs.length} (member, customer) pairs; data at scale ${scale}: ${counts.customers} customers, ${counts.follows} follows, ${counts.orders} orders (generated in ${generateSeconds.toFixed(0)} s); steal ${stolenPercent.toFixed(0)} %`,
          columns: ['reader', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'p95 ÷ floor'],
          rows: [row('GET /api/customers/:id/panel', summary), row('floor: mysql2, 2 round trips', floorSummary)],
        },
      ],
      notes: [
        'Latency runs from the request leaving this process to the last byte of the answer, over one keep-alive connection.',
        'Each pair has its own session, so every call also reads its session (and may refresh last_seen_at).',
        'The panel and the floor take turns reading a pair first: the first meets pages outside the buffer pool that the second then finds in it.',
        `The floor: the session, its member and the customer's follows in one query, then the customer, the follow, its follow-ups, the tags, the recent orders with their items, the totals and the suggested scripts at once over a mysql2 pool of the server's size; no TypeORM, no HTTP, no JSON. Its rows matched the panel's on all ${WARMUP_CALLS} warm-up calls.`,
      ],
      details: { budgetP95Ms: BUDGET_P95_MS, budgetRatio: BUDGET_RATIO, scale, counts, generateSeconds, pairs: pairs.length, latencyMs: summary, floorLatencyMs: floorSummary, ratio, stolenCpuPercent: stolenPercent },
    }
  },
}
