import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Panel } from '../api/contract'
import { Script } from '../entities'
import { signedIn } from '../../test/browserSession'
import { buildScriptLibrary } from '../../test/company'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  await buildScriptLibrary(harness.dataSource)
})
afterEach(() => harness.cleanup())

const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) })

/** Signs in as `userid` and sends the script titled `title` to the customer `times` times, so that use ranks it up. */
async function member(userid: string) {
  const { api } = await signedIn(harness, userid)
  return {
    api,
    async send(externalUserid: string, title: string, times: number) {
      const { id } = await harness.dataSource.getRepository(Script).findOneByOrFail({ title })
      for (let n = 0; n < times; n++) expect((await api(`/api/customers/${externalUserid}/script-sends`, json({ scriptId: id }))).status).toBe(204)
    },
    async titles(externalUserid: string) {
      const panel = (await (await api(`/api/customers/${externalUserid}/panel`)).json()) as Panel
      return panel.scripts.map((script) => [script.title, script.preview.unresolved.length === 0])
    },
  }
}

describe(`suggested scripts on ${testDatabaseKind}`, () => {
  it('puts the scripts it can fill for this customer before those it cannot, tags then use deciding within each', async () => {
    const colleague = await member('colleague')
    // wmWu has no orders; a follow-up a day after the add makes them no longer new.
    expect((await colleague.api('/api/customers/wmWu/follow-ups', json({ note: '聊过了' }))).status).toBe(201)
    await colleague.send('wmWu', '护肤新品', 3)
    await colleague.send('wmWu', '节日问候', 1)
    expect(await colleague.titles('wmWu')).toEqual([
      ['彩妆试色', true], // targeted at 彩妆, which the customer has
      ['节日问候', true],
      ['新客欢迎', true],
      ['护肤新品', false], // most sent, but {{最近购买}} has no value
      ['物流跟进', false],
      ['会员回馈', false],
    ])
  })

  it('suggests the welcome script first to a customer just added', async () => {
    const seller = await member('seller')
    await seller.send('wmChen', '节日问候', 5)
    await seller.send('wmChen', '彩妆试色', 2)
    await harness.simulator.customerAddsMember({ userid: 'seller', customer: { external_userid: 'wmNewcomer001', name: '刚加的客户' } })
    await harness.drainInbox()
    expect(await seller.titles('wmNewcomer001')).toEqual([
      ['新客欢迎', true],
      ['节日问候', true],
      ['彩妆试色', true],
      ['护肤新品', false],
      ['物流跟进', false],
      ['会员回馈', false],
    ])
    // Once followed up, it is a customer like any other.
    expect((await seller.api('/api/customers/wmNewcomer001/follow-ups', json({ note: '打过招呼' }))).status).toBe(201)
    expect((await seller.titles('wmNewcomer001'))[0]).toEqual(['节日问候', true])
  })
})
