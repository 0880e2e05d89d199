import { encrypt, getSignature } from '@wecom/crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Customer, FollowRelation, InboxEvent } from '../entities'
import { errorBody } from '../../test/app'
import { testDatabaseKind } from '../../test/database'
import { hostilePlaintexts } from '../../test/hostileCallbacks'
import { startWecomHarness, TEST_CREDENTIALS, type WecomHarness } from '../../test/wecom'
import type { RunningServer } from '../server'

let harness: WecomHarness
let server: RunningServer
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true })
  server = harness.server!
})
afterEach(() => harness.cleanup())

const inboxRows = () => harness.dataSource.getRepository(InboxEvent).count()
const spooled = () => harness.wecom.spool.pendingFiles().length

const addEvent = (externalUserId: string, createTime = 1795400000) =>
  `<xml><ToUserName><![CDATA[${TEST_CREDENTIALS.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[seller]]></UserID><ExternalUserID><![CDATA[${externalUserId}]]></ExternalUserID></xml>`

function post(query: Record<string, string>, body: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/wecom/callback?${new URLSearchParams(query)}`, { method: 'POST', body, headers: { 'content-type': 'text/xml', ...headers } })
}

function signedEnvelope(encrypted: string, query = { timestamp: '1795400000', nonce: '42' }) {
  return {
    query: { ...query, msg_signature: getSignature(TEST_CREDENTIALS.token, query.timestamp, query.nonce, encrypted) },
    body: `<xml><ToUserName><![CDATA[${TEST_CREDENTIALS.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`,
  }
}

describe(`/wecom/callback on ${testDatabaseKind}`, () => {
  it('answers URL verification with only the decrypted echostr', async () => {
    const echostr = encrypt(TEST_CREDENTIALS.aesKey, '1616140317555161061', TEST_CREDENTIALS.corpId)
    const query = { timestamp: '1409659589', nonce: '263014780', echostr }
    const signature = getSignature(TEST_CREDENTIALS.token, query.timestamp, query.nonce, echostr)
    const response = await fetch(`${server.url}/wecom/callback?${new URLSearchParams({ ...query, msg_signature: signature })}`)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('1616140317555161061')
  })

  it('journals an event and answers 200 with an empty body', async () => {
    const { query, body } = harness.simulator.buildCallback(addEvent('wmXiaomei'))
    const response = await post(query, body)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
    const [row] = await harness.dataSource.getRepository(InboxEvent).find()
    expect(row).toMatchObject({ status: 'pending', event: 'change_external_contact', changeType: 'add_external_contact', attempts: 0 })
    expect(row!.plaintext).toBe(addEvent('wmXiaomei'))
  })

  it('absorbs one event delivered four times at once: one row, one effect', async () => {
    const { query, body } = harness.simulator.buildCallback(addEvent('wmChen'))
    const responses = await Promise.all(Array.from({ length: 4 }, () => post(query, body)))
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(await inboxRows()).toBe(1)
    expect(await harness.drainInbox()).toBe(1)
    expect(await harness.dataSource.getRepository(Customer).countBy({ externalUserid: 'wmChen' })).toBe(1)
    // Redelivered after processing, it is still one row, and nothing runs again.
    expect((await post(query, body)).status).toBe(200)
    expect(await inboxRows()).toBe(1)
    expect(await harness.drainInbox()).toBe(0)
  })

  describe('refuses bad input with a clear error, writing nothing', () => {
    const valid = () => harness.simulator.buildCallback(addEvent('wmLin'))
    const cases: [string, () => { query: Record<string, string>; body: string }, number, string][] = [
      ['a wrong signature', () => ({ ...valid(), query: { ...valid().query, msg_signature: '0'.repeat(40) } }), 401, 'callback_signature'],
      ['no signature', () => ({ ...valid(), query: { timestamp: '1', nonce: '2' } }), 401, 'callback_signature'],
      ['a body that is not XML', () => ({ query: valid().query, body: 'hello' }), 400, 'callback_xml'],
      ['an envelope without Encrypt', () => ({ query: valid().query, body: '<xml><ToUserName>x</ToUserName></xml>' }), 400, 'callback_xml'],
      ['ciphertext that is not base64', () => signedEnvelope('not*base64!'), 400, 'callback_base64'],
      ['ciphertext of the wrong length', () => signedEnvelope(Buffer.alloc(48).toString('base64')), 400, 'callback_ciphertext'],
      ['a message for another CorpID', () => signedEnvelope(encrypt(TEST_CREDENTIALS.aesKey, addEvent('x'), 'wwAnotherCorp')), 400, 'callback_receiveid'],
      ['a decrypted message that is not XML', () => signedEnvelope(encrypt(TEST_CREDENTIALS.aesKey, '{"json":true}', TEST_CREDENTIALS.corpId)), 400, 'callback_xml'],
      ['a decrypted message with an element named constructor', () => signedEnvelope(encrypt(TEST_CREDENTIALS.aesKey, '<xml><constructor>1</constructor></xml>', TEST_CREDENTIALS.corpId)), 400, 'callback_xml'],
      ['a decrypted message nested too deeply', () => signedEnvelope(encrypt(TEST_CREDENTIALS.aesKey, hostilePlaintexts(4096).deepNesting, TEST_CREDENTIALS.corpId)), 400, 'callback_xml'],
    ]
    it.each(cases)('%s', async (_, build, status, id) => {
      const { query, body } = build()
      const response = await post(query, body)
      expect(response.status).toBe(status)
      expect((await errorBody(response)).id).toBe(id)
      expect(await inboxRows()).toBe(0)
      expect(spooled()).toBe(0)
    })

    it('a body over 1 MB', async () => {
      const { query } = valid()
      const response = await post(query, `<xml><Encrypt>${'A'.repeat(1024 * 1024)}</Encrypt></xml>`)
      expect(response.status).toBe(413)
      expect((await errorBody(response)).id).toBe('payload_too_large')
      expect(await inboxRows()).toBe(0)
    })

    it('a bad URL verification', async () => {
      const response = await fetch(`${server.url}/wecom/callback?msg_signature=${'0'.repeat(40)}&timestamp=1&nonce=2&echostr=abc`)
      expect(response.status).toBe(401)
    })
  })

  it('keeps an event when the database is away, and moves it into the inbox when it is back', async () => {
    const { query, body } = harness.simulator.buildCallback(addEvent('wmTony'))
    // The inbox table going away stands in for the database going away: the insert fails.
    await harness.dataSource.query('ALTER TABLE inbox_events RENAME TO inbox_events_away')
    const response = await post(query, body)
    expect(response.status).toBe(200)
    expect(spooled()).toBe(1)
    await harness.dataSource.query('ALTER TABLE inbox_events_away RENAME TO inbox_events')
    const { journalCallback } = await import('../inbox/journal')
    expect(await harness.wecom.spool.drain((plaintext, at) => journalCallback(harness.dataSource, plaintext, at))).toBe(1)
    expect(spooled()).toBe(0)
    const [row] = await harness.dataSource.getRepository(InboxEvent).find()
    expect(row!.plaintext).toBe(addEvent('wmTony'))
  })

  it('the simulator’s own WeCom-side change arrives as a real callback and takes effect', async () => {
    const status = await harness.simulator.customerAddsMember({
      userid: 'colleague',
      customer: { external_userid: 'wmNewCustomer', name: '🦄新客' },
      state: 'live-room',
      remarkMobiles: ['13900001111'],
    })
    expect(status).toBe(200)
    expect(await harness.drainInbox()).toBe(1)
    const customer = await harness.dataSource.getRepository(Customer).findOneByOrFail({ externalUserid: 'wmNewCustomer' })
    expect(customer.name).toBe('🦄新客')
    const follow = await harness.dataSource.getRepository(FollowRelation).findOneByOrFail({ customerId: customer.id })
    expect(follow).toMatchObject({ status: 'active', state: 'live-room', remarkMobiles: ['13900001111'] })
  })
})
