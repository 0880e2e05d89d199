import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { TeamTrend } from '../api/contract'
import { query } from '../db/sql'
import { FollowUp, Member, MemberDailyFigure } from '../entities'
import { runJob } from '../jobs/runJob'
import { teamFiguresJob } from '../jobs/teamFigures'
import { addDays, businessDate, zonedInstant } from '../time'
import { jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'
import { TREND_DAYS } from './trend'

const TZ = 'Asia/Shanghai'
let harness: WecomHarness
let today: string
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  today = businessDate(new Date(), TZ)
})
afterEach(() => harness.cleanup())

const as = async (userid: string) => (await signedIn(harness, userid)).api
const trendOf = async (userid: string, manager?: string) => jsonBody<TeamTrend>(await (await as(userid))(`/api/console/team/trend${manager ? `?manager=${manager}` : ''}`))

/** A follow-up `author` wrote on `day` at 10:00 in Shanghai, about one of their customers. */
async function wroteFollowUp(author: string, day: string) {
  const [follow] = await query<{ id: number; member_id: number }>(
    harness.dataSource.manager,
    'SELECT f.id, f.member_id FROM follow_relations f JOIN members m ON m.id = f.member_id WHERE m.userid = :author ORDER BY f.id LIMIT 1',
    { author },
  )
  await harness.dataSource.getRepository(FollowUp).insert({ followRelationId: Number(follow!.id), authorMemberId: Number(follow!.member_id), note: '跟进', nextFollowUpOn: null, stage: null, createdAt: zonedInstant(day, '10:00', TZ) })
}

describe(`团队's 30-day trend on ${testDatabaseKind}`, () => {
  it("counts each day's follow-ups, customers added and lost from their rows, and the overdue team-figures recorded after each day", async () => {
    await wroteFollowUp('seller', addDays(today, -2))
    await wroteFollowUp('seller', addDays(today, -2))
    await wroteFollowUp('colleague', today)
    // The manager's own follow-up is not her team's.
    await wroteFollowUp('manager', addDays(today, -2))
    // 阿珍 deleted colleague yesterday.
    await query(
      harness.dataSource.manager,
      `UPDATE follow_relations SET status = 'deleted_by_customer', status_changed_at = :at
        WHERE customer_id = (SELECT id FROM customers WHERE external_userid = 'wmZhen')`,
      { at: zonedInstant(addDays(today, -1), '15:00', TZ) },
    )
    // Every follow due three days ago: at the end of yesterday, each live one was overdue.
    await query(harness.dataSource.manager, 'UPDATE follow_relations SET next_follow_up_on = :day', { day: addDays(today, -3) })
    const recorded = await runJob(teamFiguresJob, harness.jobContext(), { date: today, dryRun: false })
    expect(recorded).toMatchObject({ status: 'done', summary: `recorded the overdue follows of 4 members at the end of ${addDays(today, -1)}` })

    const trend = await trendOf('manager')
    expect(trend.manager).toEqual({ userid: 'manager', name: '周琳' })
    expect(trend.days).toHaveLength(TREND_DAYS)
    expect([trend.days[0]!.date, trend.days.at(-1)!.date]).toEqual([addDays(today, 1 - TREND_DAYS), today])
    const day = (offset: number) => trend.days[TREND_DAYS - 1 + offset]!
    expect(day(-2).followUps).toBe(2)
    expect(day(0).followUps).toBe(1)
    // 小林 (seller) 8 days ago; 孙悦 7 days ago by operator (and by the manager, who is not in her own team).
    expect([day(-8).added, day(-7).added]).toEqual([1, 1])
    expect(day(-1).lost).toBe(1)
    // seller's 5, colleague's 3 still live and operator's 2.
    expect(day(-1).overdue).toBe(10)
    // Not recorded: the day before yesterday (no run), and today (still going).
    expect([day(-2).overdue, day(0).overdue]).toEqual([null, null])
    expect(trend.days.reduce((sum, d) => sum + d.added, 0)).toBe(11)

    const company = await trendOf('operator', 'all')
    expect(company.manager).toBeNull()
    expect(company.days[TREND_DAYS - 3]!.followUps).toBe(3)
    expect(company.days[TREND_DAYS - 8]!.added).toBe(2)
    expect(company.days[TREND_DAYS - 2]!.overdue).toBe(11)
  })

  it('a recorded day with none of the team in it reads 0, not unrecorded; recording the day again replaces it', async () => {
    const members = harness.dataSource.getRepository(Member)
    const manager = await members.findOneByOrFail({ userid: 'manager' })
    const yesterday = addDays(today, -1)
    await harness.dataSource.getRepository(MemberDailyFigure).insert({ businessDate: yesterday, memberId: manager.id, overdue: 4, recordedAt: new Date() })
    expect((await trendOf('manager')).days.at(-2)!.overdue).toBe(0)
    expect((await trendOf('operator', 'all')).days.at(-2)!.overdue).toBe(4)

    await runJob(teamFiguresJob, harness.jobContext(), { date: today, dryRun: false })
    await runJob(teamFiguresJob, harness.jobContext(), { date: today, dryRun: false, rerunDone: true })
    expect(await harness.dataSource.getRepository(MemberDailyFigure).countBy({ businessDate: yesterday })).toBe(4)
    // Her own 孙悦, added 7 days ago and never followed up, in place of the 4 written by hand.
    expect((await harness.dataSource.getRepository(MemberDailyFigure).findOneByOrFail({ businessDate: yesterday, memberId: manager.id })).overdue).toBe(1)
  })

  it('a dry run writes nothing', async () => {
    const outcome = await runJob(teamFiguresJob, harness.jobContext(), { date: today, dryRun: true })
    expect(outcome.summary).toContain('nothing written')
    expect(await harness.dataSource.getRepository(MemberDailyFigure).count()).toBe(0)
  })
})
