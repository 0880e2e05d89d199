/**
 * SPEC §7: a full sync of 100k customers from the simulator, answering each call in 50 ms,
 * in ≤ 1.5× its latency floor: pages × 50 ms ÷ calls in flight. Runs `fullSync` in this
 * process against a fresh MySQL database, as `npm run sync` would, and checks that the
 * database ends with every follow. The calls in flight are the sync's own concurrency, read
 * off the simulator's log (the most `batch/get_by_user` calls that were ever open at once),
 * so the floor follows the code. BENCH_SCALE scales the customers (0.01: 1,000).
 */
import { createDataSource } from '../server/db/dataSource'
import { migrate } from '../server/db/migrate'
import { createLogger } from '../server/logger'
import { fullSync, type SyncProgress } from '../server/sync/fullSync'
import { WecomClient } from '../server/wecom/client'
import { createSimulator, type SeedCompany } from '../simulator'
import type { Benchmark } from './support/benchmark'
import { createBenchDatabase } from './support/benchDatabase'
import { measureMachineCpu, measureStolenCpu } from './support/machineCpu'
import { formatRatio } from './support/table'

/** The sync may take this many times its latency floor. */
const BUDGET_RATIO = 1.5
const CUSTOMERS = Math.round(100_000 * Number(process.env.BENCH_SCALE ?? 1))
const PAGE_CALL = '/cgi-bin/externalcontact/batch/get_by_user'
/** More than 300 members, so that batch/get_by_user (≤ 100 members a call) has several chunks to fetch at once. */
const MEMBERS = 400
const API_LATENCY_MS = 50
const CREDENTIALS = { corpId: 'wwbenchsync00001', agentId: 1000002, secret: 'bench-secret', token: 'BenchToken', aesKey: 'BenchmarkEncodingAESKey0123456789abcdefghij' }

function company(): SeedCompany {
  const members = Array.from({ length: MEMBERS }, (_, i) => `member${i}`)
  const tags = Array.from({ length: 10 }, (_, i) => ({ id: `etBench${i}`, name: `标签${i}` }))
  return {
    users: members.map((userid) => ({ userid, name: userid, department: [1], customerContact: true })),
    tagGroups: [{ group_id: 'etBenchGroup', group_name: '基准', tags }],
    customers: Array.from({ length: CUSTOMERS }, (_, i) => ({ external_userid: `wmBench${i}`, name: `客户${i}🎈` })),
    follows: Array.from({ length: CUSTOMERS }, (_, i) => ({
      userid: members[i % MEMBERS]!,
      external_userid: `wmBench${i}`,
      remark: i % 3 === 0 ? `备注${i}` : '',
      tagIds: i % 2 === 0 ? [tags[i % 10]!.id] : [],
      remark_mobiles: i % 5 === 0 ? [`139${String(i).padStart(8, '0')}`] : [],
    })),
  }
}

export const fullSyncBenchmark: Benchmark = {
  id: 'full-sync',
  budget: `full sync: ${CUSTOMERS.toLocaleString('en')} customers from the simulator at ${API_LATENCY_MS} ms per call in ≤ ${BUDGET_RATIO}× its latency floor (pages × ${API_LATENCY_MS} ms ÷ calls in flight)`,
  async run({ teardown, progress }) {
    const database = await createBenchDatabase(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/')
    teardown.defer(`drop ${database.name}`, () => database.drop())
    progress(`seeding the simulator with ${CUSTOMERS} customers of ${MEMBERS} members…`)
    const simulator = createSimulator(CREDENTIALS)
    simulator.seed(company())
    const listening = await simulator.listen(0)
    teardown.defer('stop the simulator', () => listening.close())
    simulator.setLatency(API_LATENCY_MS)

    const dataSource = createDataSource({ kind: 'mysql', url: database.url })
    await dataSource.initialize()
    teardown.defer('close the database', () => dataSource.destroy())
    await migrate(dataSource)
    const client = new WecomClient({ ...CREDENTIALS, apiBase: listening.url, oauthBase: listening.url, loginBase: listening.url, robotKey: null }, dataSource, {
      logger: createLogger('warn'),
    })

    progress('syncing…')
    let lastStage = ''
    const machineCpu = measureMachineCpu()
    const stolenCpu = measureStolenCpu()
    const summary = await fullSync(dataSource, client, {
      logger: createLogger('warn'),
      onProgress: ({ stage, done, total }: SyncProgress) => {
        if (stage !== lastStage || done === total) progress(`  ${stage} ${done}/${total}`)
        lastStage = stage
      },
    })
    const machine = machineCpu()
    const stolen = stolenCpu()
    const [row] = (await dataSource.query("SELECT COUNT(*) AS follows FROM follow_relations WHERE status = 'active'")) as { follows: number }[]
    const follows = Number(row?.follows)
    const pageArrivals = simulator.calls.filter((call) => call.path === PAGE_CALL).map((call) => call.at)
    const pages = pageArrivals.length
    const inFlight = peakInFlight(pageArrivals, API_LATENCY_MS)
    const floorSeconds = (pages * API_LATENCY_MS) / inFlight / 1000
    const ratio = summary.seconds / floorSeconds
    const complete = Number(follows) === CUSTOMERS && summary.customers.created === CUSTOMERS
    const passed = complete && ratio <= BUDGET_RATIO
    return {
      passed,
      verdicts: [
        `full sync of ${CUSTOMERS} customers at ${API_LATENCY_MS} ms per call: ${summary.seconds.toFixed(1)} s, ${formatRatio(ratio)} its floor of ${floorSeconds.toFixed(1)} s (${pages} pages × ${API_LATENCY_MS} ms ÷ ${inFlight} in flight), ${follows} follows — ${passed ? 'PASS' : 'FAIL'}`,
      ],
      headlines: [
        {
          what: `full sync of ${CUSTOMERS.toLocaleString('en')} customers`,
          figure: `${summary.seconds.toFixed(1)} s`,
          floor: `${floorSeconds.toFixed(1)} s`,
          ratio,
          budget: `≤ ${BUDGET_RATIO}× floor, every follow`,
          passed,
        },
      ],
      tables: [
        {
          title: `Full sync from the simulator (${API_LATENCY_MS} ms per WeCom call) into MySQL`,
          columns: ['customers', 'members', 'batch pages', 'in flight', 'WeCom calls', 'seconds', 'floor s', 'ratio', 'customers/s', 'machine CPU', 'stolen', `≤ ${BUDGET_RATIO}× floor`],
          rows: [
            [
              String(summary.customers.created),
              String(summary.members),
              String(pages),
              String(inFlight),
              String(simulator.calls.length),
              summary.seconds.toFixed(1),
              floorSeconds.toFixed(1),
              formatRatio(ratio),
              (summary.customers.created / summary.seconds).toFixed(0),
              `${machine.toFixed(0)} %`,
              `${stolen.toFixed(0)} %`,
              passed ? 'yes' : 'no',
            ],
          ],
        },
      ],
      notes: [
        'The simulator runs in this process; every API call waits 50 ms before it answers, as a distant WeCom would.',
        `The floor: ${pages} batch/get_by_user pages × ${API_LATENCY_MS} ms ÷ ${inFlight} pages in flight (the most ever open at once in the simulator's log: the sync's concurrency) = ${floorSeconds.toFixed(1)} s; member reads, tags and the database come on top of it.`,
        '100 members a call, 100 customers a page; the pages of one member chunk follow each other (each needs the cursor of the one before).',
        'Resuming after an interruption is covered by the tests (server/sync/fullSync.test.ts).',
      ],
      details: { budgetRatio: BUDGET_RATIO, customers: CUSTOMERS, members: MEMBERS, apiLatencyMs: API_LATENCY_MS, pages, pagesInFlight: inFlight, floorSeconds, ratio, summary, machineCpuPercent: machine, stolenCpuPercent: stolen },
    }
  },
}

/**
 * The most calls open at once, from their arrival times (ms) when each is held `latencyMs`:
 * a call is still open when a later one arrives less than `latencyMs` after it.
 */
export function peakInFlight(arrivalsMs: readonly number[], latencyMs: number): number {
  const sorted = [...arrivalsMs].sort((a, b) => a - b)
  let peak = 0
  let oldest = 0
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[oldest]! <= sorted[i]! - latencyMs) oldest++
    peak = Math.max(peak, i - oldest + 1)
  }
  return peak
}
