import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { migratedDatabase, testDatabaseKind } from '../../test/database'
import { buildCustomer, buildMember } from '../../test/factories'
import { query } from '../db/sql'
import { FollowRelation, type FollowStatus } from '../entities'
import { addDays, businessDate } from '../time'
import { FOLLOW_UP_DUE_TODAY_SQL, FOLLOW_UP_OVERDUE_SQL, followUpDueOn, followUpRuleParameters, NEW_UNFOLLOWED_SQL } from './followUps'
import { DEFAULT_REMINDER_RULES, graceMs } from './reminderRules'

/** SPEC §4.4's 24 h, what a company starts with. */
const NEW_CUSTOMER_GRACE_MS = graceMs(DEFAULT_REMINDER_RULES)

const TZ = 'Asia/Shanghai'
// 10:00 in Shanghai: every boundary below is well inside the business date.
const asOf = new Date('2026-03-10T02:00:00.000Z')
const today = businessDate(asOf, TZ)
const ago = (ms: number) => new Date(asOf.getTime() - ms)

/** Each case is a follow named by its remark, and the one rule that must hold for it (or none). */
const cases: { remark: string; expected: 'overdue' | 'today' | 'new' | 'none'; nextFollowUpOn?: string; addedAt?: Date; lastFollowedUpAt?: Date; status?: FollowStatus }[] = [
  { remark: 'next date yesterday', expected: 'overdue', nextFollowUpOn: addDays(today, -1) },
  { remark: 'next date today', expected: 'today', nextFollowUpOn: today },
  { remark: 'next date tomorrow', expected: 'none', nextFollowUpOn: addDays(today, 1) },
  { remark: 'no date, added exactly 24 h ago', expected: 'new', addedAt: ago(NEW_CUSTOMER_GRACE_MS) },
  { remark: 'no date, added 24 h and 1 ms ago', expected: 'overdue', addedAt: ago(NEW_CUSTOMER_GRACE_MS + 1) },
  { remark: 'no date, added an hour ago', expected: 'new', addedAt: ago(3_600_000) },
  { remark: 'no date, added after the instant judged', expected: 'none', addedAt: ago(-1) },
  { remark: 'no date, followed up once', expected: 'none', addedAt: ago(3 * NEW_CUSTOMER_GRACE_MS), lastFollowedUpAt: ago(2 * NEW_CUSTOMER_GRACE_MS) },
  { remark: 'next date yesterday, customer left', expected: 'none', nextFollowUpOn: addDays(today, -1), status: 'deleted_by_customer' },
]

describe(`the follow-up rules on ${testDatabaseKind}`, () => {
  let database: Awaited<ReturnType<typeof migratedDatabase>>
  let dataSource: DataSource
  beforeAll(async () => {
    database = await migratedDatabase()
    dataSource = database.dataSource
    const member = await buildMember(dataSource)
    for (const { remark, nextFollowUpOn, addedAt, lastFollowedUpAt, status } of cases) {
      const customer = await buildCustomer(dataSource)
      await dataSource.getRepository(FollowRelation).insert({
        memberId: member.id,
        customerId: customer.id,
        remark,
        remarkMobiles: [],
        addedAt: addedAt ?? ago(30 * NEW_CUSTOMER_GRACE_MS),
        status: status ?? 'active',
        nextFollowUpOn: nextFollowUpOn ?? null,
        // A follow with a next date was followed up when that date was set.
        lastFollowedUpAt: lastFollowedUpAt ?? (nextFollowUpOn ? ago(5 * NEW_CUSTOMER_GRACE_MS) : null),
        createdAt: asOf,
        updatedAt: asOf,
      })
    }
  })
  afterAll(() => database.cleanup())

  it('sorts each follow into overdue, due today, new or none at the boundaries', async () => {
    const rows = await query<{ remark: string; overdue: number | string; today: number | string; new_unfollowed: number | string }>(
      dataSource.manager,
      `SELECT f.remark,
              CASE WHEN ${FOLLOW_UP_OVERDUE_SQL} THEN 1 ELSE 0 END AS overdue,
              CASE WHEN ${FOLLOW_UP_DUE_TODAY_SQL} THEN 1 ELSE 0 END AS today,
              CASE WHEN ${NEW_UNFOLLOWED_SQL} THEN 1 ELSE 0 END AS new_unfollowed
         FROM follow_relations f ORDER BY f.id`,
      followUpRuleParameters(today, asOf, NEW_CUSTOMER_GRACE_MS),
    )
    // Every rule is evaluated for every follow: at most one may hold, and it must be the expected one.
    const judged = rows.map((row) => {
      const holding = (['overdue', 'today', 'new_unfollowed'] as const).filter((rule) => Number(row[rule]) === 1)
      return { remark: row.remark, rules: holding.map((rule) => (rule === 'new_unfollowed' ? 'new' : rule)) }
    })
    expect(judged).toEqual(cases.map(({ remark, expected }) => ({ remark, rules: expected === 'none' ? [] : [expected] })))
  })

  it('judges the grace from the instant given, not from the clock', () => {
    expect(followUpRuleParameters(today, asOf, NEW_CUSTOMER_GRACE_MS)).toEqual({ today, asOf, newSince: ago(NEW_CUSTOMER_GRACE_MS) })
  })
})

describe('the date a follow-up falls due', () => {
  it('is the next date when there is one', () => {
    expect(followUpDueOn('2026-03-12', new Date('2026-01-01T00:00:00Z'), TZ, NEW_CUSTOMER_GRACE_MS)).toBe('2026-03-12')
  })

  it("is, with no date, the business date the new customer's grace ends", () => {
    // 23:30 in Shanghai on 1 March: the grace ends 23:30 on 2 March, there (15:30 UTC, 2 March).
    expect(followUpDueOn(null, new Date('2026-03-01T15:30:00Z'), TZ, NEW_CUSTOMER_GRACE_MS)).toBe('2026-03-02')
    // 00:30 in Shanghai on 2 March is still 1 March in UTC: the business time zone decides.
    expect(followUpDueOn(null, new Date('2026-03-01T16:30:00Z'), TZ, NEW_CUSTOMER_GRACE_MS)).toBe('2026-03-03')
  })
})
