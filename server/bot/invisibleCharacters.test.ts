import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'
import { query } from '../db/sql'
import { dailyDigestJob } from '../jobs/dailyDigest'
import { runJob } from '../jobs/runJob'
import { addDays, businessDate } from '../time'

const TZ = 'Asia/Shanghai'

/**
 * Characters that reorder or hide text: a right-to-left override makes "gnp.exe" read
 * "exe.png", zero-width ones make two names look alike, line separators break a line.
 */
const INVISIBLE = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u061c', '\ufeff', '\u2028', '\u2029', '\u00ad', '\u180e', '\u0007']
const spiked = (name: string) => [...name].map((c, i) => c + INVISIBLE[i % INVISIBLE.length]).join('') + INVISIBLE.join('')
const invisibleIn = (text: string) => INVISIBLE.filter((c) => text.includes(c)).map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)

/** The text of everything the bot sent: app messages (markdown and cards) and robot messages. */
const sentTexts = (harness: WecomHarness) =>
  [...harness.simulator.appMessages, ...harness.simulator.robotMessages].map((m) => {
    const { markdown, textcard } = m.body as { markdown?: { content: string }; textcard?: { title: string; description: string } }
    return markdown ? markdown.content : `${textcard!.title}\n${textcard!.description}`
  })

describe('names with invisible and direction characters in what the bot sends', () => {
  let harness: WecomHarness
  beforeEach(async () => {
    harness = await startWecomHarness({ synced: true, serve: true, robotKey: 'robot-key-1' })
  })
  afterEach(async () => harness.cleanup())

  it('the digest, cards and robot message show the names without them', async () => {
    const manager = harness.dataSource.manager
    await query(manager, 'UPDATE follow_relations SET next_follow_up_on = :day', { day: addDays(businessDate(new Date(), TZ), -2) })
    // The most overdue names are remarks, else WeCom names.
    await query(manager, "UPDATE follow_relations SET remark = :name WHERE remark <> ''", { name: spiked('老客') })
    await query(manager, 'UPDATE customers SET name = :name', { name: spiked('小美') })
    await query(manager, "UPDATE members SET name = :name WHERE userid = 'seller'", { name: spiked('陈浩') })
    await query(manager, "UPDATE members SET name = :name WHERE userid = 'manager'", { name: spiked('周琳') })

    const outcome = await runJob(dailyDigestJob, harness.jobContext(), { date: businessDate(new Date(), TZ), dryRun: false })
    expect(outcome.status).toBe('done')
    const sent = sentTexts(harness)
    expect(harness.simulator.robotMessages.length).toBeGreaterThan(0)
    for (const text of sent) expect(invisibleIn(text), text).toEqual([])
    const all = sent.join('\n')
    expect(all).toContain('小美、')
    expect(all).toContain('老客')
    expect(all).toContain('**陈浩**')
    expect(all).toContain('周琳团队')
  })

  it('the loss alert card shows the customer and the member without them', async () => {
    // colleague's customer, renamed in WeCom and mirrored.
    harness.simulator.company.customers.get('wmQuotes')!.name = spiked('gnp.exe')
    await query(harness.dataSource.manager, "UPDATE customers SET name = :name WHERE external_userid = 'wmQuotes'", { name: spiked('gnp.exe') })
    await query(harness.dataSource.manager, "UPDATE members SET name = :name WHERE userid = 'colleague'", { name: spiked('刘怡') })
    await harness.simulator.customerDeletesMember({ userid: 'colleague', externalUserid: 'wmQuotes' })
    await harness.drainInbox()

    const cards = harness.simulator.appMessages.map((m) => m.body.textcard as { title: string; description: string }).filter((card) => card?.title === '客户流失提醒')
    expect(cards).toHaveLength(2)
    for (const card of cards) {
      expect(invisibleIn(card.description)).toEqual([])
      expect(card.description).toContain('客户 gnp.exe 删除了 刘怡')
    }
  })
})
