import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConsoleChannel } from '../api/contract'
import { Channel, InboxEvent, WelcomeSend } from '../entities'
import { journalCallback } from '../inbox/journal'
import { startInboxWorker, type InboxWorker } from '../inbox/worker'
import { eventXml } from '../../simulator/api/callbacks'
import { jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, TEST_CREDENTIALS, type WecomHarness } from '../../test/wecom'
import { WELCOME_WINDOW_MS } from './welcome'

/** Ordinary events waiting in the inbox, each a WeCom read for the worker. */
const BACKLOG = 1_000
const WELCOMES = 10

let harness: WecomHarness
let worker: InboxWorker | undefined
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(async () => {
  await worker?.stop()
  worker = undefined
  await harness.cleanup()
})

describe(`welcomes under a flooded inbox, on ${testDatabaseKind}`, () => {
  it(`every welcome goes inside its ${WELCOME_WINDOW_MS / 1000} s with ${BACKLOG} other events pending and WeCom slow`, async () => {
    const api = (await signedIn(harness, 'operator')).api
    const channel = await jsonBody<ConsoleChannel>(
      await api('/api/console/channels', { method: 'POST', body: JSON.stringify({ name: '直播间', platform: '抖音', members: ['seller', 'colleague'], skipVerify: true, tagIds: [], welcome: { text: '{{客户昵称}}你好', link: null, imageId: null }, note: '' }) }),
      201,
    )
    const configId = (await harness.dataSource.getRepository(Channel).findOneByOrFail({ id: channel.id })).configId!

    // The backlog: edits of the company's follows, each of which the mirror reads from WeCom again.
    const follows = ['seller', 'colleague', 'operator'].flatMap((userid) => harness.simulator.company.followsOfUser(userid))
    const createTime = Math.floor(Date.now() / 1000) - 3_600
    for (let n = 0; n < BACKLOG; n++) {
      const follow = follows[n % follows.length]!
      const xml = eventXml({ corpId: TEST_CREDENTIALS.corpId, createTime: createTime + n, event: 'change_external_contact' }, [
        ['ChangeType', 'edit_external_contact'],
        ['UserID', follow.userid],
        ['ExternalUserID', follow.external_userid],
      ])
      await journalCallback(harness.dataSource, xml)
    }
    harness.simulator.setLatency(20)
    worker = startInboxWorker({ dataSource: harness.dataSource, handle: harness.handle, logger: harness.logger, idleMs: 10 })
    harness.wecom.onJournaled = worker.wake

    const postedAt = new Map<string, number>()
    for (let i = 0; i < WELCOMES; i++) {
      const externalUserid = `wmFlood${i}`
      postedAt.set(externalUserid, Date.now())
      expect(await harness.simulator.customerScansContactWay({ configId, customer: { external_userid: externalUserid, name: `新客${i}` } })).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await expect.poll(() => harness.simulator.welcomeMessages.length, { timeout: WELCOME_WINDOW_MS + 5_000, interval: 100 }).toBe(WELCOMES)
    for (const welcome of harness.simulator.welcomeMessages) expect(welcome.at - postedAt.get(welcome.externalUserid)!, welcome.externalUserid).toBeLessThan(WELCOME_WINDOW_MS)
    // Each outcome is recorded just after WeCom's answer.
    await expect.poll(async () => (await harness.dataSource.getRepository(WelcomeSend).find()).map((w) => w.outcome), { timeout: 5_000 }).toEqual(Array(WELCOMES).fill('sent'))
    // The backlog was still there while the welcomes went: they did not wait for it.
    expect(await harness.dataSource.getRepository(InboxEvent).countBy({ status: 'pending' })).toBeGreaterThan(0)
  }, 60_000)
})
