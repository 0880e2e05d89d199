import { planDailyDigest, type PlannedMessage } from '../bot/digest'
import { Messenger } from '../bot/messenger'
import { digestCron } from '../rules/reminderRules'
import { teamRobotKey } from '../rules/teamRobots'
import type { Job } from './job'
import { deliverAll, type Delivery } from '../outbox/outbox'

/**
 * App messages in flight at once: WeCom answers each in tens of ms, so 2,000 one by one would
 * take minutes. Message sends do not count toward WeCom's per-API call limit, and a 45033
 * (too many at once) is backed off by the client.
 */
const SEND_CONCURRENCY = 8

/**
 * Every morning (DIGEST_CRON, or 提醒规则' time): managers' digests, salespeople's to-do
 * cards, and the group robots' digests (the company's, and each team's that has one) (SPEC
 * §4.4, §4.6). Each message goes through the outbox, so a rerun, a second process or a
 * crash never sends one twice; a failed recipient does not hold up the others and is tried
 * again by the next run.
 */
export const dailyDigestJob: Job = {
  name: 'daily-digest',
  schedule: (config, rules) => digestCron(rules, config.digestCron),
  catchUp: true,
  async run({ config, dataSource, wecom, print, signal, clock, owner }, { date, dryRun }) {
    const messenger = new Messenger(wecom.client, wecom.config, clock)
    const companyRobotKey = wecom.config.robotKey
    const planned = await planDailyDigest(dataSource.manager, { date, timeZone: config.timezone, publicUrl: config.publicUrl, withCompanyRobot: companyRobotKey !== null })
    if (dryRun) {
      for (const { key, message } of planned) print(`--- ${key}\n${message.msgtype === 'markdown' ? message.markdown.content : JSON.stringify(message.textcard, null, 2)}`)
      return { summary: `dry run: ${planned.length} messages would be sent; nothing sent`, complete: true }
    }

    // A robot's key is read when its message goes (never recorded in the outbox): a key replaced since the plan is the one used.
    const robotKey = async (to: PlannedMessage['to']) => {
      const key = !('robot' in to) ? null : to.robot === 'company' ? companyRobotKey : await teamRobotKey(dataSource.manager, to.managerId)
      if (key === null) throw new Error('this group robot was removed')
      return key
    }
    const deliver = (messages: PlannedMessage[], concurrency: number) =>
      deliverAll(
        dataSource,
        messages.map(({ key, to, message }) => ({ key: { job: 'daily-digest', businessDate: date, recipient: key }, to, message })),
        async (recorded, { to }) =>
          'member' in to ? messenger.sendApp(to.member, recorded) : messenger.sendRobot(await robotKey(to), recorded.msgtype === 'markdown' ? recorded.markdown.content : ''),
        { owner, concurrency, signal },
      )
    // Each robot's messages go in order, paced by the messenger, beside the app messages.
    const deliveries = (await Promise.all([deliver(planned.filter((p) => 'robot' in p.to), 1), deliver(planned.filter((p) => 'member' in p.to), SEND_CONCURRENCY)])).flat()
    const tally: Record<Delivery['outcome'], number> = { sent: 0, already: 0, invalid: 0, failed: 0, stopped: 0 }
    for (const { key, outcome, error } of deliveries) {
      tally[outcome]++
      if (error) print(`daily-digest: ${key.recipient} failed: ${error.message}`)
    }
    const summary = `${planned.length} messages: ${tally.sent} sent, ${tally.already} already sent, ${tally.invalid} invalid recipients, ${tally.failed} failed${tally.stopped ? `, ${tally.stopped} not tried (claim lost)` : ''}`
    return { summary, complete: tally.failed === 0 && tally.stopped === 0 }
  },
}
