/**
 * SPEC §7: the daily digest for 3M follow relations and 2,000 members in ≤ 15 s with peak
 * RSS ≤ 300 MB (`daily-digest`), and for 10M follows and 10,000 members in ≤ 60 s
 * (`daily-digest-10m`, on generateLargeCompany's company: long to make, so it runs last).
 * Runs `npm run job -- daily-digest` as a process of its own against the generated company
 * (kept between runs) and the simulator, twice: a dry run (computing and printing every
 * message) and a real run (sending them all through WeCom). SPEC §7 gives the digest no
 * floor; the summary shows its figures alone. BENCH_SCALE scales both companies.
 */
import { businessDate } from '../server/time'
import { createSimulator } from '../simulator'
import type { Benchmark } from './support/benchmark'
import { forgetDigestRuns, LARGE_COMPANY, openCompanyDatabase, STANDARD_COMPANY, type CompanyKind } from './support/companyDatabase'
import { measureStolenCpu } from './support/machineCpu'
import { runMeasured, type MeasuredRun } from './support/measuredCommand'

const TIME_ZONE = 'Asia/Shanghai'
const CREDENTIALS = { corpId: 'wwbenchdigest001', agentId: 1000002, secret: 'bench-secret', token: 'BenchToken', aesKey: 'BenchmarkEncodingAESKey0123456789abcdefghij' }
const ROBOT_KEY = 'bench-robot-key'

const mb = (bytes: number) => bytes / 2 ** 20

interface DigestSize {
  id: string
  /** The size at scale 1, as SPEC §7 names it. */
  size: string
  company: CompanyKind
  budgetSeconds: number
  /** Null where SPEC §7 sets no memory budget (the 10M size): the peak is still reported. */
  budgetRssMb: number | null
}

/** SPEC §7's first size, on the company the panel benchmark reads too. */
export const dailyDigestBenchmark = digestBenchmark({ id: 'daily-digest', size: '3M follows and 2,000 members', company: STANDARD_COMPANY, budgetSeconds: 15, budgetRssMb: 300 })
/** The second size; its company takes about an hour to make at full size (kept between runs). */
export const dailyDigest10mBenchmark = digestBenchmark({ id: 'daily-digest-10m', size: '10M follows and 10,000 members', company: LARGE_COMPANY, budgetSeconds: 60, budgetRssMb: null })

function digestBenchmark({ id, size, company: kind, budgetSeconds, budgetRssMb }: DigestSize): Benchmark {
  const rssBudget = budgetRssMb === null ? '' : `, peak RSS ≤ ${budgetRssMb} MB`
  const within = (run: MeasuredRun) => run.seconds <= budgetSeconds && (budgetRssMb === null || mb(run.peakRssBytes) <= budgetRssMb)
  return {
    id,
    budget: `daily digest for ${size}: ≤ ${budgetSeconds} s${rssBudget}`,
    async run({ teardown, progress }) {
      const scale = Number(process.env.BENCH_SCALE ?? 1)
      const company = await openCompanyDatabase(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/', scale, { teardown, progress }, kind)
      const { dataSource, counts } = company
      // The company is kept for the next run: leave it without our runs and deliveries.
      await forgetDigestRuns(dataSource)
      teardown.defer('forget the benchmark runs', () => forgetDigestRuns(dataSource))

      // WeCom knows every member, so every message is delivered (and counted) by the simulator.
      const members = (await dataSource.query('SELECT userid, name FROM members')) as { userid: string; name: string }[]
      const simulator = createSimulator({ ...CREDENTIALS, robotKeys: [ROBOT_KEY] })
      simulator.seed({ departments: [{ id: 1, name: '基准公司' }], users: members.map((m) => ({ userid: m.userid, name: m.name, department: [1], customerContact: true })) })
      const listening = await simulator.listen(0)
      teardown.defer('stop the simulator', () => listening.close())

      const env = {
        DATABASE_URL: company.url,
        PUBLIC_URL: 'https://scrm.example.com',
        WECOM_CORP_ID: CREDENTIALS.corpId,
        WECOM_AGENT_ID: String(CREDENTIALS.agentId),
        WECOM_SECRET: CREDENTIALS.secret,
        WECOM_TOKEN: CREDENTIALS.token,
        WECOM_AES_KEY: CREDENTIALS.aesKey,
        WECOM_API_BASE: listening.url,
        WECOM_ROBOT_KEY: ROBOT_KEY,
        SCRM_TIMEZONE: TIME_ZONE,
        SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
        LOG_LEVEL: 'warn',
      }
      const date = businessDate(new Date(), TIME_ZONE)
      const check = (what: string, run: MeasuredRun) => {
        if (run.code !== 0) throw new Error(`${what} exited with ${run.code}:\n${run.tail.join('\n')}`)
        return run
      }

      progress('dry run: computing every digest')
      const stolen = measureStolenCpu()
      const dry = check('the dry run', await runMeasured('server/cli/job.ts', ['daily-digest', '--dry-run', '--date', date], env))
      progress(`real run: sending through the simulator (${dry.tail.at(-1)})`)
      const real = check('the real run', await runMeasured('server/cli/job.ts', ['daily-digest', '--date', date], env))
      const stolenPercent = stolen()

      const appMessages = simulator.appMessages.length
      const robotMessages = simulator.robotMessages.length
      const passed = [dry, real].every(within)
      const row = (name: string, run: MeasuredRun) => [name, run.seconds.toFixed(1), mb(run.peakRssBytes).toFixed(0), within(run) ? 'yes' : 'no']
      const headline = (what: string, run: MeasuredRun) => ({
        what: `${what}, ${counts.follows.toLocaleString('en')} follows`,
        figure: `${run.seconds.toFixed(1)} s, ${mb(run.peakRssBytes).toFixed(0)} MB`,
        floor: null,
        ratio: null,
        budget: `≤ ${budgetSeconds} s${budgetRssMb === null ? '' : `, ≤ ${budgetRssMb} MB`}`,
        passed: within(run),
      })
      return {
        passed,
        headlines: [headline('digest dry run', dry), headline('digest real run', real)],
        verdicts: [
          `dry run ${dry.seconds.toFixed(1)} s, peak RSS ${mb(dry.peakRssBytes).toFixed(0)} MB; real run ${real.seconds.toFixed(1)} s, peak RSS ${mb(real.peakRssBytes).toFixed(0)} MB — ${passed ? 'PASS' : 'FAIL'}`,
        ],
        tables: [
          {
            title: `npm run job -- daily-digest on ${counts.follows.toLocaleString('en')} follows and ${counts.members.toLocaleString('en')} members (MySQL), WeCom = simulator`,
            columns: ['run', 'seconds', 'peak RSS MB', `≤ ${budgetSeconds} s${rssBudget}`],
            rows: [row('dry run (compute and print)', dry), row('real run (compute and send)', real)],
          },
        ],
        notes: [
          `The real run delivered ${appMessages} app messages and ${robotMessages} group-robot messages; its summary: ${real.tail.at(-1)}.`,
          'Each run is a whole process, start-up (tsx, migrations check) included; peak RSS is the largest VmHWM among its processes.',
          `Hypervisor steal during the runs: ${stolenPercent.toFixed(0)} %.`,
        ],
        details: { budgetSeconds, budgetRssMb, scale, counts, date, dry, real, appMessages, robotMessages, stolenCpuPercent: stolenPercent },
      }
    },
  }
}
