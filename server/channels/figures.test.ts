import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ChannelRequest, ConsoleChannel, ConsoleChannelStats } from '../api/contract'
import { query } from '../db/sql'
import { Channel } from '../entities'
import { addDays, businessDate, zonedInstant } from '../time'
import { errorBody, jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { syncedCustomer } from '../../test/company'
import { testDatabaseKind } from '../../test/database'
import { buildOrder } from '../../test/factories'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

const TZ = 'Asia/Shanghai'
const DAY_MS = 86_400_000
let harness: WecomHarness
let today: string
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  today = businessDate(new Date(), TZ)
})
afterEach(() => harness.cleanup())

const operator = async () => (await signedIn(harness, 'operator')).api

async function channel(name: string, platform: ChannelRequest['platform']): Promise<ConsoleChannel> {
  const body: ChannelRequest = { name, platform, members: ['seller'], skipVerify: true, tagIds: [], welcome: { text: null, link: null, imageId: null }, note: '' }
  return jsonBody<ConsoleChannel>(await (await operator())('/api/console/channels', { method: 'POST', body: JSON.stringify(body) }), 201)
}

/** A customer arriving through `through`, their follow then dated `addedDaysAgo` days back (at 10:00). */
async function arrives(through: ConsoleChannel, externalUserid: string, addedDaysAgo: number) {
  const { configId } = await harness.dataSource.getRepository(Channel).findOneByOrFail({ id: through.id })
  await harness.simulator.customerScansContactWay({ configId: configId!, customer: { external_userid: externalUserid, name: externalUserid } })
  await harness.drainInbox()
  const addedAt = zonedInstant(addDays(today, -addedDaysAgo), '10:00', TZ)
  await query(harness.dataSource.manager, 'UPDATE follow_relations SET added_at = :addedAt WHERE customer_id = (SELECT id FROM customers WHERE external_userid = :externalUserid)', { addedAt, externalUserid })
  return addedAt
}

describe(`channel figures on ${testDatabaseKind}`, () => {
  it('counts arrivals, losses, retention, buyers and revenue per channel and per platform, and the days', async () => {
    const [douyin, store] = [await channel('抖音直播', '抖音'), await channel('门店海报', '门店')]
    const a1 = await arrives(douyin, 'wmA1', 10)
    await arrives(douyin, 'wmA2', 2)
    const b1 = await arrives(store, 'wmB1', 40)
    // wmB1 deleted their member 3 days after arriving.
    await query(
      harness.dataSource.manager,
      "UPDATE follow_relations SET status = 'deleted_by_customer', status_changed_at = :at WHERE customer_id = (SELECT id FROM customers WHERE external_userid = 'wmB1')",
      { at: new Date(b1.getTime() + 3 * DAY_MS) },
    )
    // wmA1 paid 100.00 after arriving; what they paid before, and a refunded order, do not count.
    const customer = await syncedCustomer(harness.dataSource, 'wmA1')
    await buildOrder(harness.dataSource, { customer, amountCents: 10_000, paidAt: new Date(a1.getTime() + DAY_MS) })
    await buildOrder(harness.dataSource, { customer, amountCents: 5_000, paidAt: new Date(a1.getTime() - DAY_MS) })
    await buildOrder(harness.dataSource, { customer, amountCents: 7_000, status: 'refunded', paidAt: new Date(a1.getTime() + 2 * DAY_MS) })

    const stats = await jsonBody<ConsoleChannelStats>(await (await operator())(`/api/console/channels/stats?from=${addDays(today, -59)}&to=${today}`))
    expect(stats.channels.find((c) => c.name === '抖音直播')!.figures).toEqual({ arrived: 2, lost: 0, net: 2, retention7: 1, retention30: null, buyers: 1, revenue: '100.00', revenuePerArrival: '50.00' })
    expect(stats.channels.find((c) => c.name === '门店海报')!.figures).toEqual({ arrived: 1, lost: 1, net: 0, retention7: 0, retention30: 0, buyers: 0, revenue: '0.00', revenuePerArrival: '0.00' })
    expect(stats.platforms.map((p) => [p.platform, p.figures.arrived])).toEqual([['抖音', 2], ['门店', 1]])
    expect(stats.days).toHaveLength(60)
    const day = (daysAgo: number) => stats.days.find((d) => d.date === addDays(today, -daysAgo))!
    expect([day(10).arrived, day(2).arrived, day(40).arrived, day(37).lost]).toEqual([1, 1, 1, 1])
    expect(stats.days.reduce((n, d) => n + d.arrived, 0)).toBe(3)

    // The default range is the last 30 days: wmB1's arrival falls outside it.
    const recent = await jsonBody<ConsoleChannelStats>(await (await operator())('/api/console/channels/stats'))
    expect([recent.from, recent.to]).toEqual([addDays(today, -29), today])
    expect(recent.channels.find((c) => c.name === '门店海报')!.figures.arrived).toBe(0)
  })

  it('exports CSV a spreadsheet opens as text, a name that looks like a formula defused', async () => {
    await channel('=HYPERLINK("http://evil.example","点我")', '其他')
    const response = await (await operator())(`/api/console/channels/stats.csv?from=${addDays(today, -6)}&to=${today}`)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('content-disposition')).toContain(encodeURIComponent(`渠道数据_${addDays(today, -6)}_${today}.csv`))
    const text = await response.text()
    const lines = text.replace(/^\uFEFF/, '').trim().split('\r\n')
    expect(lines[0]).toBe('"渠道","平台","新增客户","流失客户","净增","7日留存","30日留存","成交客户","成交金额（元）","每位新客成交（元）"')
    expect(lines[1]).toBe('"\'=HYPERLINK(""http://evil.example"",""点我"")","其他","0","0","0","","","0","0.00","0.00"')
  })

  it('counts a range of one day', async () => {
    const douyin = await channel('抖音直播', '抖音')
    await arrives(douyin, 'wmToday', 0)
    const stats = await jsonBody<ConsoleChannelStats>(await (await operator())(`/api/console/channels/stats?from=${today}&to=${today}`))
    expect(stats.days).toEqual([{ date: today, arrived: 1, lost: 0 }])
    expect(stats.channels[0]!.figures.arrived).toBe(1)
  })

  it('refuses a range backwards or over a year', async () => {
    const api = await operator()
    for (const range of [`from=${today}&to=${addDays(today, -1)}`, `from=${addDays(today, -366)}&to=${today}`, 'from=2026-13-01']) {
      const response = await api(`/api/console/channels/stats?${range}`)
      expect(response.status, range).toBe(400)
      expect((await errorBody(response)).id).toBe('validation_failed')
    }
  })
})
