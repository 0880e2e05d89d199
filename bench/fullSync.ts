/**
 * SPEC §7: a full sync of 100k customers from the simulator, answering each call in 50 ms,
 * in ≤ 60 s. Runs `fullSync` in this process against a fresh MySQL database, as
 * `npm run sync` would, and checks that the database ends with every follow.
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

const BUDGET_SECONDS = 60
const CUSTOMERS = 100_000
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
  budget: `full sync: ${CUSTOMERS.toLocaleString('en')} customers from the simulator at ${API_LATENCY_MS} ms per call in ≤ ${BUDGET_SECONDS} s`,
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
    const client = new WecomClient({ ...CREDENTIALS, apiBase: listening.url, oauthBase: listening.url, robotKey: null }, dataSource, {
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
    const pages = simulator.calls.filter((call) => call.path === '/cgi-bin/externalcontact/batch/get_by_user').length
    const complete = Number(follows) === CUSTOMERS && summary.customers.created === CUSTOMERS
    const passed = complete && summary.seconds <= BUDGET_SECONDS
    return {
      passed,
      verdicts: [
        `full sync of ${CUSTOMERS} customers at ${API_LATENCY_MS} ms per call: ${summary.seconds.toFixed(1)} s, ${follows} follows — ${passed ? 'PASS' : 'FAIL'}`,
      ],
      tables: [
        {
          title: `Full sync from the simulator (${API_LATENCY_MS} ms per WeCom call) into MySQL`,
          columns: ['customers', 'members', 'batch pages', 'WeCom calls', 'seconds', 'customers/s', 'machine CPU', 'stolen', 'within budget'],
          rows: [
            [
              String(summary.customers.created),
              String(summary.members),
              String(pages),
              String(simulator.calls.length),
              summary.seconds.toFixed(1),
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
        'Four member chunks are fetched at once (100 members a call, 100 customers a page); members are read 8 at a time.',
        'Resuming after an interruption is covered by the tests (server/sync/fullSync.test.ts).',
      ],
      details: { budgetSeconds: BUDGET_SECONDS, customers: CUSTOMERS, members: MEMBERS, apiLatencyMs: API_LATENCY_MS, pages, summary, machineCpuPercent: machine, stolenCpuPercent: stolen },
    }
  },
}
