import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { callsTo, startWecomHarness, TEST_CREDENTIALS, TEST_PUBLIC_URL, type WecomHarness } from '../../test/wecom'
import { recomputeManagerLinks } from '../mirror/members'
import { InboxEvent, ManagerOverride, Member } from '../entities'
import { journalCallback } from '../inbox/journal'

const SEND = '/cgi-bin/message/send'
/** colleague follows this customer, whose nickname is HTML (test/company.ts). */
const CUSTOMER = 'wmQuotes'

const lossEvent = (userid: string, externalUserid: string, createTime: number) =>
  `<xml><ToUserName><![CDATA[${TEST_CREDENTIALS.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[${userid}]]></UserID><ExternalUserID><![CDATA[${externalUserid}]]></ExternalUserID></xml>`

/** The loss alerts WeCom delivered, as (recipient, card). */
const alerts = (harness: WecomHarness) =>
  harness.simulator.appMessages
    .filter((m) => (m.body.textcard as { title?: string } | undefined)?.title === '客户流失提醒')
    .flatMap((m) => m.recipients.map((userid) => ({ userid, card: m.body.textcard as { description: string; url: string } })))

describe('the loss alert', () => {
  let harness: WecomHarness
  beforeEach(async () => {
    harness = await startWecomHarness({ serve: true, synced: true })
  })
  afterEach(async () => harness.cleanup())

  it('reaches the member and their manager once, however often WeCom delivers the event', async () => {
    expect(await harness.simulator.customerDeletesMember({ userid: 'colleague', externalUserid: CUSTOMER })).toBe(200)
    // WeCom retries a callback it thinks failed: the same event, freshly encrypted, three more times.
    const [journaled] = await harness.dataSource.getRepository(InboxEvent).find()
    for (let i = 0; i < 3; i++) expect((await harness.simulator.sendCallback(journaled!.plaintext)).status).toBe(200)
    expect(await harness.dataSource.getRepository(InboxEvent).count()).toBe(1)
    await harness.drainInbox()
    // And the worker handling that one event again (a crash before it was marked done).
    await harness.handle((await harness.dataSource.getRepository(InboxEvent).find())[0]!)

    const sent = alerts(harness)
    expect(sent.map((a) => a.userid).sort()).toEqual(['colleague', 'manager'])
    // Sent once each: counted at our side, before WeCom's own duplicate check.
    expect(callsTo(harness.simulator, SEND)).toHaveLength(2)
    const { card } = sent[0]!
    expect(card.url).toBe(`${TEST_PUBLIC_URL}/sidebar/#/customer/${CUSTOMER}`)
    // The nickname is shown as text, not markup, in the card's HTML.
    expect(card.description).toContain('&#60;script&#62;alert(1)&#60;/script&#62;')
    expect(card.description).not.toContain('<script>')
  })

  it('a failed send is retried with the event and reaches only whoever missed it', async () => {
    harness.simulator.injectFault({ path: SEND, errcode: 40003, times: 1 })
    await harness.simulator.customerDeletesMember({ userid: 'colleague', externalUserid: CUSTOMER })
    const [row] = await harness.dataSource.getRepository(InboxEvent).find()
    await expect(harness.handle(row!)).rejects.toThrow(/loss alert failed for 1 of 2 recipients/)
    expect(alerts(harness)).toHaveLength(1)
    await harness.handle(row!)
    expect(alerts(harness).map((a) => a.userid).sort()).toEqual(['colleague', 'manager'])
    // The refused one, then the retry of only that one.
    expect(callsTo(harness.simulator, SEND)).toHaveLength(3)
  })

  it('says nothing for a deletion older than what we know (the customer added the member again since)', async () => {
    await harness.simulator.customerDeletesMember({ userid: 'colleague', externalUserid: CUSTOMER })
    await harness.drainInbox()
    expect(alerts(harness)).toHaveLength(2)
    await harness.simulator.customerAddsMember({ userid: 'colleague', customer: { external_userid: CUSTOMER, name: '回来了' } })
    await harness.drainInbox()
    // A deletion from an hour ago, delivered only now.
    await journalCallback(harness.dataSource, lossEvent('colleague', CUSTOMER, Math.floor(Date.now() / 1000) - 3600))
    await harness.drainInbox()
    expect(alerts(harness)).toHaveLength(2)
    expect(callsTo(harness.simulator, SEND)).toHaveLength(2)
  })

  it("goes to the console's override managers instead of WeCom's", async () => {
    const [colleague, operator] = await Promise.all(['colleague', 'operator'].map((userid) => harness.dataSource.getRepository(Member).findOneByOrFail({ userid })))
    await harness.dataSource.getRepository(ManagerOverride).insert({ memberId: colleague!.id, managerId: operator!.id, createdAt: new Date() })
    await recomputeManagerLinks(harness.dataSource.manager)
    await harness.simulator.customerDeletesMember({ userid: 'colleague', externalUserid: CUSTOMER })
    await harness.drainInbox()
    expect(alerts(harness).map((a) => a.userid).sort()).toEqual(['colleague', 'operator'])
  })
})
