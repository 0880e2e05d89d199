/**
 * SPEC §7, channel figures: 200 channels, 1M customers, a 90-day range ≤ 500 ms.
 *
 * The 1M-customer company (support/companyDatabase.ts) gains 200 channels, and a third of its
 * 3M follows (one in three, spread over the channels) are attributed to them, as if they had
 * arrived through their QR codes: both once, kept for the next run. Then GET
 * /api/console/channels/stats's own work (channelStats) runs for the last 90 days, one call
 * at a time after a warm-up.
 */
import { channelStats } from '../server/channels/figures'
import { addDays, businessDate } from '../server/time'
import type { Benchmark } from './support/benchmark'
import { openCompanyDatabase } from './support/companyDatabase'
import { summarizeLatencies } from './support/latencyStats'
import { measureStolenCpu } from './support/machineCpu'

const BUDGET_MS = 500
const CHANNELS = 200
const RANGE_DAYS = 90
const WARMUP_CALLS = 3
const MEASURED_CALLS = Number(process.env.BENCH_FIGURES_CALLS ?? 20)
const TIME_ZONE = 'Asia/Shanghai'
const PLATFORMS = ['抖音', '小红书', '哔哩哔哩', '百度', '微信公众号', '视频号', '淘宝', '京东', '拼多多', '有赞', '门店', '官网', 'APP', '小程序', '线下活动', '其他']

export const channelFiguresBenchmark: Benchmark = {
  id: 'channel-figures',
  budget: `channel figures for ${CHANNELS} channels, 1M customers, a ${RANGE_DAYS}-day range ≤ ${BUDGET_MS} ms (MySQL)`,
  async run({ teardown, progress }) {
    const scale = Number(process.env.BENCH_SCALE ?? 1)
    const company = await openCompanyDatabase(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/', scale, { teardown, progress })
    const { dataSource, counts } = company

    const count = async (sql: string) => Number(((await dataSource.query(sql)) as { n: number | string }[])[0]!.n)
    const existing = await count("SELECT COUNT(*) AS n FROM channels WHERE state LIKE 'ch_bench%'")
    if (existing < CHANNELS) {
      progress(`making ${CHANNELS} channels and attributing a third of the follows to them (once)…`)
      const now = new Date()
      await dataSource.query(
        `INSERT INTO channels (name, platform, state, skip_verify, note, wecom_status, config_id, created_at, updated_at) VALUES ${Array.from({ length: CHANNELS }, () => '(?, ?, ?, 1, \'\', \'active\', ?, ?, ?)').join(', ')}`,
        Array.from({ length: CHANNELS }, (_, i) => [`渠道${i + 1}`, PLATFORMS[i % PLATFORMS.length], `ch_bench${String(i + 1).padStart(4, '0')}`, `bench-config-${i + 1}`, now, now]).flat(),
      )
      const first = await count("SELECT MIN(id) AS n FROM channels WHERE state LIKE 'ch_bench%'")
      await dataSource.query(`UPDATE follow_relations SET channel_id = ? + MOD(id, ${CHANNELS}), first_channel_id = ? + MOD(id, ${CHANNELS}) WHERE MOD(id, 3) = 0`, [first, first])
    }
    const attributed = await count('SELECT COUNT(*) AS n FROM follow_relations WHERE channel_id IS NOT NULL')
    const to = businessDate(new Date(), TIME_ZONE)
    const from = addDays(to, 1 - RANGE_DAYS)
    const call = async () => {
      const started = process.hrtime.bigint()
      const stats = await channelStats(dataSource.manager, { from, to, timeZone: TIME_ZONE })
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, stats }
    }
    progress(`warm-up: ${WARMUP_CALLS} calls`)
    let arrivals = 0
    for (let i = 0; i < WARMUP_CALLS; i++) arrivals = (await call()).stats.channels.reduce((n, c) => n + c.figures.arrived, 0)
    progress(`measuring: ${MEASURED_CALLS} calls`)
    const stolen = measureStolenCpu()
    const latencies = new Float64Array(MEASURED_CALLS)
    for (let i = 0; i < MEASURED_CALLS; i++) latencies[i] = (await call()).ms
    const stolenPercent = stolen()
    const summary = summarizeLatencies(latencies)
    const passed = summary.p95 <= BUDGET_MS
    return {
      passed,
      verdicts: [`channel figures p95 ${summary.p95.toFixed(0)} ms (p50 ${summary.p50.toFixed(0)}, max ${summary.max.toFixed(0)}) for ${CHANNELS} channels over ${RANGE_DAYS} days — ${passed ? 'PASS' : 'FAIL'}`],
      headlines: [{ what: `channel figures p95, ${CHANNELS} channels, ${RANGE_DAYS} days`, figure: `${summary.p95.toFixed(0)} ms`, floor: null, ratio: null, budget: `≤ ${BUDGET_MS} ms`, passed }],
      tables: [
        {
          title: `${MEASURED_CALLS} calls, one at a time; ${attributed.toLocaleString('en')} follows attributed to ${CHANNELS} channels, ${arrivals.toLocaleString('en')} of them arrived in the range; company of ${counts.customers} customers, ${counts.follows} follows, ${counts.orders} orders; steal ${stolenPercent.toFixed(0)} %`,
          columns: ['call', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
          rows: [['channelStats (GET /api/console/channels/stats)', summary.p50.toFixed(0), summary.p95.toFixed(0), summary.p99.toFixed(0), summary.max.toFixed(0)]],
        },
      ],
      notes: ['Three queries at once: arrivals with their 7- and 30-day retention by channel and day, losses by channel and day, and buyers and revenue after arriving per channel.'],
      details: { budgetMs: BUDGET_MS, channels: CHANNELS, rangeDays: RANGE_DAYS, attributed: attributed, arrivals, latencyMs: summary, stolenCpuPercent: stolenPercent },
    }
  },
}
