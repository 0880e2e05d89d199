import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runScript, type TestProcess } from '../../test/processes'
import { callsTo, startWecomHarness, TEST_PUBLIC_URL, type WecomHarness } from '../../test/wecom'
import { planDailyDigest } from '../bot/digest'
import { query } from '../db/sql'
import { createDataSource } from '../db/dataSource'
import { JobRun, Member, OutboxMessage } from '../entities'
import { DEFAULT_REMINDER_RULES, saveReminderRules } from '../rules/reminderRules'
import { setTeamRobot } from '../rules/teamRobots'
import { addDays, businessDate, startOfBusinessDay } from '../time'
import { dailyDigestJob } from './dailyDigest'
import { runJob } from './runJob'
import { startScheduler } from './scheduler'

const TZ = 'Asia/Shanghai'
const SEND = '/cgi-bin/message/send'

/** Every member has something overdue, so every manager and salesperson gets a message. */
async function makeEveryoneOverdue(harness: WecomHarness) {
  await query(harness.dataSource.manager, 'UPDATE follow_relations SET next_follow_up_on = :day', { day: addDays(businessDate(new Date(), TZ), -2) })
}

/** What reached members: one entry per (member, message), as WeCom delivered them. */
const delivered = (harness: WecomHarness) =>
  harness.simulator.appMessages.flatMap((m) => m.recipients.map((userid) => `${userid} ${JSON.stringify(m.body.markdown ?? m.body.textcard)}`)).sort()

const runCli = (harness: WecomHarness, args: string[], env: Record<string, string> = {}) =>
  runScript('server/cli/job.ts', { args: ['daily-digest', ...args], env: harness.commandEnv(env) })

async function finished(process: TestProcess) {
  const exit = await process.exited
  return { ...exit, output: process.output() }
}

describe('the daily-digest job', () => {
  let harness: WecomHarness
  let today: string
  let expected: number
  beforeEach(async () => {
    harness = await startWecomHarness({ synced: true })
    await makeEveryoneOverdue(harness)
    today = businessDate(new Date(), TZ)
    expected = (await planDailyDigest(harness.dataSource.manager, { date: today, timeZone: TZ, publicUrl: TEST_PUBLIC_URL, withCompanyRobot: false })).length
    // manager's digest of the three reports, and a card for each of the four members.
    expect(expected).toBe(5)
  })
  afterEach(async () => harness.cleanup())

  it('a dry run prints every message and sends and records nothing', async () => {
    const context = harness.jobContext()
    const outcome = await runJob(dailyDigestJob, context, { date: today, dryRun: true })
    expect(outcome.summary).toBe('dry run: 5 messages would be sent; nothing sent')
    expect(context.printed.filter((line) => line.startsWith('--- ')).map((line) => line.split('\n')[0])).toEqual([
      '--- digest:manager#1',
      '--- todo:colleague',
      '--- todo:manager',
      '--- todo:operator',
      '--- todo:seller',
    ])
    expect(callsTo(harness.simulator, SEND)).toHaveLength(0)
    expect(await harness.dataSource.getRepository(JobRun).count()).toBe(0)
    expect(await harness.dataSource.getRepository(OutboxMessage).count()).toBe(0)
  })

  it('running twice sends once; the scheduler does not run a finished date again', async () => {
    const first = await runJob(dailyDigestJob, harness.jobContext(), { date: today, dryRun: false })
    expect(first).toEqual({ status: 'done', summary: '5 messages: 5 sent, 0 already sent, 0 invalid recipients, 0 failed' })
    const once = delivered(harness)
    expect(once).toHaveLength(5)

    const again = await runJob(dailyDigestJob, harness.jobContext(), { date: today, dryRun: false, rerunDone: true })
    expect(again.summary).toBe('5 messages: 0 sent, 5 already sent, 0 invalid recipients, 0 failed')
    const scheduled = await runJob(dailyDigestJob, harness.jobContext(), { date: today, dryRun: false })
    expect(scheduled.status).toBe('skipped')
    expect(delivered(harness)).toEqual(once)
    expect(callsTo(harness.simulator, SEND)).toHaveLength(5)
  })

  it('two processes running it at the same time send each message once', async () => {
    const [a, b] = await Promise.all([finished(runCli(harness, [])), finished(runCli(harness, []))])
    expect(a.code, a.output).toBe(0)
    expect(b.code, b.output).toBe(0)
    expect(delivered(harness)).toHaveLength(5)
    expect(new Set(delivered(harness)).size).toBe(5)
    expect(callsTo(harness.simulator, SEND)).toHaveLength(5)
    // One did the sending; the other found it running, or done and everything already sent.
    expect(`${a.output}\n${b.output}`).toMatch(/5 sent/)
  }, 60_000)

  it('a crash between two sends, then a rerun, sends each message exactly once', async () => {
    // WeCom takes one send and never answers; the process dies while waiting for it.
    harness.simulator.injectFault({ path: SEND, hang: true, times: 1 })
    const crashing = runCli(harness, [])
    for (let waited = 0; delivered(harness).length < 4 || callsTo(harness.simulator, SEND).length < 5; waited += 50) {
      if (waited > 30_000) throw new Error(`the job never got that far:\n${crashing.output()}`)
      await sleep(50)
    }
    crashing.kill('SIGKILL')
    await crashing.exited
    expect(delivered(harness)).toHaveLength(4)

    // The rerun takes over the dead process's claim and sends only what is missing.
    const rerun = await finished(runCli(harness, []))
    expect(rerun.code, rerun.output).toBe(0)
    // The held message, plus any WeCom accepted before the kill but we had not yet marked:
    // those go again as the same bytes, and WeCom's duplicate check drops them.
    const [, sent, already] = /(\d+) sent, (\d+) already sent/.exec(rerun.output) ?? []
    expect(Number(sent)).toBeGreaterThanOrEqual(1)
    expect(Number(sent) + Number(already)).toBe(5)
    expect(delivered(harness)).toHaveLength(5)
    expect(new Set(delivered(harness)).size).toBe(5)
  }, 60_000)

  it('a member WeCom reports invalid is recorded and not tried again', async () => {
    // manager left WeCom, and we have not heard yet.
    await harness.simulator.adminDeletesMember({ userid: 'manager' }).catch(() => {})
    const first = await runJob(dailyDigestJob, harness.jobContext(), { date: today, dryRun: false })
    expect(first).toMatchObject({ status: 'done', summary: '5 messages: 3 sent, 0 already sent, 2 invalid recipients, 0 failed' })
    await runJob(dailyDigestJob, harness.jobContext(), { date: today, dryRun: false, rerunDone: true })

    const statuses = await harness.dataSource.getRepository(OutboxMessage).find({ order: { recipient: 'ASC' } })
    expect(statuses.map((d) => [d.recipient, d.status])).toEqual([
      ['digest:manager#1', 'invalid'],
      ['todo:colleague', 'sent'],
      ['todo:manager', 'invalid'],
      ['todo:operator', 'sent'],
      ['todo:seller', 'sent'],
    ])
    // Once for each of manager's two messages, in the first run only.
    expect(callsTo(harness.simulator, SEND).filter((call) => (call.body as { touser: string }).touser === 'manager')).toHaveLength(2)
  })

  it('a failed send does not hold up the others, and the next run sends only it', async () => {
    harness.simulator.injectFault({ path: SEND, errcode: 40003, times: 1 })
    const first = await runJob(dailyDigestJob, harness.jobContext(), { date: today, dryRun: false })
    expect(first).toEqual({ status: 'failed', summary: '5 messages: 4 sent, 0 already sent, 0 invalid recipients, 1 failed' })
    expect(delivered(harness)).toHaveLength(4)
    // A failed run is not done: the scheduler's catch-up would take it again.
    const second = await runJob(dailyDigestJob, harness.jobContext(), { date: today, dryRun: false })
    expect(second).toEqual({ status: 'done', summary: '5 messages: 1 sent, 4 already sent, 0 invalid recipients, 0 failed' })
    expect(new Set(delivered(harness)).size).toBe(5)
  })

  it('catches up a run missed at its scheduled time, once', async () => {
    const context = harness.jobContext({ config: { DIGEST_CRON: '0 0 * * *' } })
    const scheduler = startScheduler(context, [dailyDigestJob])
    try {
      await scheduler.catchUp()
      await scheduler.catchUp()
    } finally {
      await scheduler.stop()
    }
    expect(delivered(harness)).toHaveLength(5)
    const [run] = await harness.dataSource.getRepository(JobRun).find()
    expect(run).toMatchObject({ job: 'daily-digest', businessDate: today, status: 'done' })
  })

  it('does not run a job whose time has not come today', async () => {
    // 08:30 in Shanghai on the test's business date; the digest is due at 09:00.
    const morning = new Date(startOfBusinessDay(today, TZ).getTime() + 8.5 * 3_600_000)
    const context = harness.jobContext({ config: { DIGEST_CRON: '0 9 * * *' } })
    const scheduler = startScheduler(context, [dailyDigestJob])
    try {
      await scheduler.catchUp(morning)
      expect(callsTo(harness.simulator, SEND)).toHaveLength(0)
      await scheduler.catchUp(new Date(morning.getTime() + 3_600_000))
    } finally {
      await scheduler.stop()
    }
    expect(delivered(harness)).toHaveLength(5)
  })

  it('runs at the time 提醒规则 sets instead of DIGEST_CRON, read every minute: a change made by another process applies at once', async () => {
    const context = harness.jobContext({ config: { DIGEST_CRON: '0 9 * * *' } })
    const at = (hours: number, minutes: number) => new Date(startOfBusinessDay(today, TZ).getTime() + (hours * 60 + minutes) * 60_000)
    // Another process's connection: the console's change reaches this scheduler through the database alone.
    const elsewhere = createDataSource(harness.jobContext({ config: { DATABASE_URL: harness.databaseUrl } }).config.database)
    await elsewhere.initialize()
    const scheduler = startScheduler(context, [dailyDigestJob])
    try {
      await scheduler.runDue(at(7, 15))
      expect(callsTo(harness.simulator, SEND)).toHaveLength(0)
      await saveReminderRules(elsewhere.manager, { ...DEFAULT_REMINDER_RULES, digestTime: '07:15' }, (await elsewhere.getRepository(Member).findOneByOrFail({ userid: 'operator' })).id)
      await scheduler.runDue(at(7, 14))
      expect(callsTo(harness.simulator, SEND)).toHaveLength(0)
      // Seconds into the minute, as a timer fires.
      await scheduler.runDue(new Date(at(7, 15).getTime() + 1_700))
      expect(delivered(harness)).toHaveLength(5)
    } finally {
      await scheduler.stop()
      await elsewhere.destroy()
    }
  })

  it('the business date is the same whatever the process time zone', async () => {
    const outputs = await Promise.all(['UTC', 'Asia/Shanghai', 'America/Los_Angeles'].map(async (TZ) => (await finished(runCli(harness, ['--dry-run'], { TZ }))).output))
    const expectedDate = `${Number(today.slice(5, 7))}月${Number(today.slice(8, 10))}日`
    expect(outputs[0]).toContain(expectedDate)
    expect(outputs[1]).toBe(outputs[0])
    expect(outputs[2]).toBe(outputs[0])
    expect(callsTo(harness.simulator, SEND)).toHaveLength(0)
  }, 60_000)
})

describe("a manager's team robot (提醒规则)", () => {
  const TEAM_ROBOT_KEY = '3b9d7c1e-0f2a-4e65-9c8b-5a4d3e2f1b0c'
  let harness: WecomHarness
  beforeEach(async () => {
    harness = await startWecomHarness({ synced: true, robotKey: 'company-robot-key-1', teamRobotKeys: [TEAM_ROBOT_KEY] })
    await makeEveryoneOverdue(harness)
  })
  afterEach(async () => harness.cleanup())

  it("gets the team's digest beside the manager and the company robot, once; the key read when sending and never recorded", async () => {
    const members = harness.dataSource.getRepository(Member)
    const [manager, operator] = [await members.findOneByOrFail({ userid: 'manager' }), await members.findOneByOrFail({ userid: 'operator' })]
    await setTeamRobot(harness.dataSource.manager, manager.id, TEAM_ROBOT_KEY, operator.id)
    const today = businessDate(new Date(), TZ)
    const first = await runJob(dailyDigestJob, harness.jobContext(), { date: today, dryRun: false })
    expect(first.summary).toBe('7 messages: 7 sent, 0 already sent, 0 invalid recipients, 0 failed')
    const byRobot = (key: string) => harness.simulator.robotMessages.filter((m) => m.key === key).map((m) => (m.body.markdown as { content: string }).content)
    const managerDigest = harness.simulator.appMessages.find((m) => m.recipients.includes('manager') && m.body.msgtype === 'markdown')!
    expect(byRobot(TEAM_ROBOT_KEY)).toEqual([(managerDigest.body.markdown as { content: string }).content])
    expect(byRobot('company-robot-key-1')).toHaveLength(1)

    const again = await runJob(dailyDigestJob, harness.jobContext(), { date: today, dryRun: false, rerunDone: true })
    expect(again.summary).toBe('7 messages: 0 sent, 7 already sent, 0 invalid recipients, 0 failed')
    expect(harness.simulator.robotMessages).toHaveLength(2)
    const recorded = await harness.dataSource.getRepository(OutboxMessage).find({ order: { recipient: 'ASC' } })
    expect(recorded.map((m) => m.recipient)).toContain('robot:manager#1')
    expect(JSON.stringify(recorded)).not.toContain(TEAM_ROBOT_KEY)
  })
})
