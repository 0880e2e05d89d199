import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActivityLog, FollowUp, Script, ScriptMemberUsage, Tag } from '../entities'
import type { Panel, TodoItem } from '../api/contract'
import { addDays, businessDate } from '../time'
import { errorBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { callsTo, startWecomHarness, type WecomHarness } from '../../test/wecom'
import { buildScriptLibrary } from '../../test/company'
import { setNextFollowUp } from '../../test/factories'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(() => harness.cleanup())

const tagId = async (wecomTagId: string) => (await harness.dataSource.getRepository(Tag).findOneByOrFail({ wecomTagId })).id
const simulatedTags = (userid: string, externalUserid: string) => harness.simulator.company.follow(userid, externalUserid)!.tagIds
const panel = async (api: (path: string) => Promise<Response>, externalUserid: string) => (await (await api(`/api/customers/${externalUserid}/panel`)).json()) as Panel
const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) })

describe(`tag toggles on ${testDatabaseKind}`, () => {
  it('marks and unmarks through WeCom’s mark_tag, locally, and in the activity log', async () => {
    const { api } = await signedIn(harness, 'seller')
    const normal = await tagId('etNormal')
    const on = await api(`/api/customers/wmXiaomei/tags/${normal}`, { method: 'PUT', body: JSON.stringify({ marked: true }) })
    expect(on.status).toBe(200)
    expect(simulatedTags('seller', 'wmXiaomei')).toContain('etNormal')
    expect((await panel(api, 'wmXiaomei')).tagGroups[0]!.tags.find((t) => t.id === normal)!.marked).toBe(true)

    expect((await api(`/api/customers/wmXiaomei/tags/${normal}`, { method: 'PUT', body: JSON.stringify({ marked: false }) })).status).toBe(200)
    expect(simulatedTags('seller', 'wmXiaomei')).not.toContain('etNormal')
    expect((await panel(api, 'wmXiaomei')).tagGroups[0]!.tags.find((t) => t.id === normal)!.marked).toBe(false)
    const logged = await harness.dataSource.getRepository(ActivityLog).find({ order: { id: 'ASC' } })
    expect(logged.map((entry) => entry.action)).toEqual(['tag_added', 'tag_removed'])
    expect(JSON.parse(logged[0]!.detail)).toEqual({ tag: '普通客户', wecomTagId: 'etNormal' })
  })

  it('changes nothing when WeCom refuses', async () => {
    const { api } = await signedIn(harness, 'seller')
    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/mark_tag', errcode: 84061 })
    const response = await api(`/api/customers/wmXiaomei/tags/${await tagId('etNormal')}`, { method: 'PUT', body: JSON.stringify({ marked: true }) })
    expect(response.status).toBe(502)
    expect(await errorBody(response)).toEqual({ id: 'wecom_refused', message: 'WeCom did not change the tag (84061)' })
    expect((await panel(api, 'wmXiaomei')).tagGroups[0]!.tags.find((t) => t.name === '普通客户')!.marked).toBe(false)
    expect(await harness.dataSource.getRepository(ActivityLog).count()).toBe(0)
  })

  it('says the tag is gone when an admin deleted it, and touches nothing', async () => {
    const { api } = await signedIn(harness, 'seller')
    const normal = await tagId('etNormal')
    await harness.simulator.adminDeletesTag({ tagId: 'etNormal' })
    await harness.drainInbox()
    const response = await api(`/api/customers/wmXiaomei/tags/${normal}`, { method: 'PUT', body: JSON.stringify({ marked: true }) })
    expect([response.status, (await errorBody(response)).id]).toEqual([410, 'tag_deleted'])
    expect(callsTo(harness.simulator, '/cgi-bin/externalcontact/mark_tag')).toHaveLength(0)
    expect(await harness.dataSource.getRepository(ActivityLog).count()).toBe(0)
  })

  it('touches neither WeCom nor us for another member’s customer, or without the CSRF token', async () => {
    const { api, browser } = await signedIn(harness, 'seller')
    const normal = await tagId('etNormal')
    expect((await api(`/api/customers/wmUnicorn/tags/${normal}`, { method: 'PUT', body: JSON.stringify({ marked: true }) })).status).toBe(404)
    const forged = await browser.fetch(`${harness.server!.url}/api/customers/wmXiaomei/tags/${normal}`, {
      method: 'PUT',
      body: JSON.stringify({ marked: true }),
      headers: { 'content-type': 'application/json' },
    })
    expect(forged.status).toBe(403)
    expect(callsTo(harness.simulator, '/cgi-bin/externalcontact/mark_tag')).toHaveLength(0)
  })
})

describe(`follow-ups and the to-do list on ${testDatabaseKind}`, () => {
  it('saves a follow-up that the panel shows and the to-do list counts', async () => {
    const { api } = await signedIn(harness, 'colleague')
    const today = businessDate(new Date(), 'Asia/Shanghai')
    const saved = await api('/api/customers/wmUnicorn/follow-ups', json({ note: '<b>约了</b>周六到店', nextFollowUpOn: today, stage: '意向' }))
    expect(saved.status).toBe(201)
    const shown = await panel(api, 'wmUnicorn')
    expect(shown.followUps[0]).toMatchObject({ note: '<b>约了</b>周六到店', nextFollowUpOn: today, stage: '意向', author: '刘怡' })
    expect(shown.follow).toMatchObject({ stage: '意向', nextFollowUpOn: today })
    const todo = (await (await api('/api/todo')).json()) as { items: TodoItem[] }
    expect(todo.items.find((item) => item.externalUserid === 'wmUnicorn')).toMatchObject({ kind: 'today', nextFollowUpOn: today })
    // Customers added more than a day ago and never followed up are overdue.
    expect(todo.items.filter((item) => item.kind === 'overdue').length).toBeGreaterThan(0)
    expect(todo.items.every((item) => item.kind === 'today' || item.nextFollowUpOn === null || item.nextFollowUpOn < today)).toBe(true)
  })

  it('refuses a follow-up without a note or with a bad date, writing nothing', async () => {
    const { api } = await signedIn(harness, 'colleague')
    for (const body of [{ note: '  ' }, { note: 'ok', nextFollowUpOn: '2026-13-40' }, { note: 'ok', stage: '随便' }]) {
      const response = await api('/api/customers/wmUnicorn/follow-ups', json(body))
      expect([response.status, (await errorBody(response)).id]).toEqual([400, 'validation_failed'])
    }
    expect(await harness.dataSource.getRepository(FollowUp).count()).toBe(0)
  })

  it('takes a next date from today to a year ahead in the business time zone, and refuses any other with follow_up_date', async () => {
    const { api } = await signedIn(harness, 'colleague')
    const today = businessDate(new Date(), 'Asia/Shanghai')
    const yearAhead = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`
    for (const nextFollowUpOn of [addDays(today, -1), '2020-01-01', addDays(yearAhead, 1), '2099-12-31']) {
      const response = await api('/api/customers/wmUnicorn/follow-ups', json({ note: '约了到店', nextFollowUpOn }))
      expect([nextFollowUpOn, response.status, (await errorBody(response)).id]).toEqual([nextFollowUpOn, 400, 'follow_up_date'])
    }
    expect(await harness.dataSource.getRepository(FollowUp).count()).toBe(0)
    for (const nextFollowUpOn of [today, yearAhead, null]) {
      expect((await api('/api/customers/wmUnicorn/follow-ups', json({ note: '约了到店', nextFollowUpOn }))).status).toBe(201)
    }
  })

  it('lists the most overdue first, with how many days overdue', async () => {
    const { api } = await signedIn(harness, 'colleague')
    const today = businessDate(new Date(), 'Asia/Shanghai')
    // colleague follows wmUnicorn, wmWu, wmQuotes and wmZhen: give three of them dates, as saved on earlier days.
    await setNextFollowUp(harness.dataSource, 'wmUnicorn', addDays(today, -3))
    await setNextFollowUp(harness.dataSource, 'wmZhen', today)
    await setNextFollowUp(harness.dataSource, 'wmWu', addDays(today, -400))
    const { items } = (await (await api('/api/todo')).json()) as { items: TodoItem[] }
    const dated = items.filter((item) => item.nextFollowUpOn !== null).map((item) => [item.externalUserid, item.kind, item.overdueDays])
    expect(dated).toEqual([
      ['wmWu', 'overdue', 400],
      ['wmUnicorn', 'overdue', 3],
      ['wmZhen', 'today', 0],
    ])
    // Never followed up, added over a day ago: overdue since the day the 24 h ran out.
    const days = items.map((item) => item.overdueDays)
    expect(days).toEqual([...days].sort((a, b) => b - a))
    expect(items.at(-1)!.kind).toBe('today')
    expect(items.filter((item) => item.nextFollowUpOn === null).length).toBeGreaterThan(0)
  })
})

describe(`script sends on ${testDatabaseKind}`, () => {
  it('counts each send for the member and the team, double taps included', async () => {
    await buildScriptLibrary(harness.dataSource)
    const { api } = await signedIn(harness, 'seller')
    const script = await harness.dataSource.getRepository(Script).findOneByOrFail({ title: '护肤新品' })
    const sends = await Promise.all([1, 2].map(() => api('/api/customers/wmXiaomei/script-sends', json({ scriptId: script.id, edited: true }))))
    expect(sends.map((r) => r.status)).toEqual([204, 204])
    expect((await harness.dataSource.getRepository(Script).findOneByOrFail({ id: script.id })).sendCount).toBe(2)
    expect((await harness.dataSource.getRepository(ScriptMemberUsage).findOneByOrFail({ scriptId: script.id })).sendCount).toBe(2)
    expect((await api('/api/customers/wmXiaomei/script-sends', json({ scriptId: 99999 }))).status).toBe(404)
  })
})
