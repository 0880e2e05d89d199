import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../logger'
import { testDatabaseKind } from '../../test/database'
import { callsTo, startWecomHarness, type WecomHarness } from '../../test/wecom'
import { TransportCode, WecomCode } from './apiTypes'
import { WecomClient } from './client'
import { WecomApiError } from './errors'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness()
})
afterEach(async () => harness.cleanup())

const anotherClient = (options = {}) =>
  new WecomClient(harness.wecomConfig, harness.dataSource, { logger: createLogger('silent'), backoffBaseMs: 5, ...options })

async function failure(call: Promise<unknown>): Promise<WecomApiError> {
  const error = await call.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(WecomApiError)
  return error as WecomApiError
}

describe(`WeCom client on ${testDatabaseKind}`, () => {
  it('two clients sharing a database fetch the access token once between them', async () => {
    const [a, b] = [harness.wecom.client, anotherClient()]
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => a.call('listFollowUsers', { query: {} })),
      ...Array.from({ length: 5 }, () => b.call('listFollowUsers', { query: {} })),
    ])
    expect(answers.every((answer) => answer.follow_user.length === 4)).toBe(true)
    expect(callsTo(harness.simulator, '/cgi-bin/gettoken')).toHaveLength(1)
    // A third client, later, finds the cached token too.
    await anotherClient().call('listFollowUsers', { query: {} })
    expect(callsTo(harness.simulator, '/cgi-bin/gettoken')).toHaveLength(1)
  })

  it.each([
    ['revoked (40014)', () => harness.simulator.revokeAccessTokens()],
    ['expired (42001)', () => harness.simulator.expireAccessTokens()],
  ])('refreshes a %s token once and retries the call', async (_, invalidate) => {
    await harness.wecom.client.call('listFollowUsers', { query: {} })
    invalidate()
    const answer = await harness.wecom.client.call('listFollowUsers', { query: {} })
    expect(answer.follow_user).toContain('zhangsan')
    expect(callsTo(harness.simulator, '/cgi-bin/gettoken')).toHaveLength(2)
  })

  it('gives up after one refresh when WeCom keeps rejecting the token', async () => {
    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/get_follow_user_list', errcode: WecomCode.invalidAccessToken })
    const error = await failure(harness.wecom.client.call('listFollowUsers', { query: {} }))
    expect(error.code).toBe(40014)
    expect(callsTo(harness.simulator, '/cgi-bin/gettoken')).toHaveLength(2)
  })

  it('backs off on 45009 and succeeds when WeCom lets it', async () => {
    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/get_follow_user_list', errcode: WecomCode.rateLimited, times: 2 })
    const client = anotherClient({ backoffBaseMs: 40 })
    const started = Date.now()
    const answer = await client.call('listFollowUsers', { query: {} })
    expect(answer.follow_user.length).toBe(4)
    expect(callsTo(harness.simulator, '/cgi-bin/externalcontact/get_follow_user_list')).toHaveLength(3)
    // Two waits: about 40 ms then 80 ms, each with jitter of ±50%.
    expect(Date.now() - started).toBeGreaterThanOrEqual(55)
  })

  it('stops backing off after a bounded number of tries, with a typed error', async () => {
    harness.simulator.injectFault({ path: '/cgi-bin/externalcontact/get_follow_user_list', errcode: WecomCode.concurrencyLimited })
    const error = await failure(anotherClient({ rateLimitTries: 3 }).call('listFollowUsers', { query: {} }))
    expect([error.code, error.path]).toEqual([45033, '/cgi-bin/externalcontact/get_follow_user_list'])
    expect(callsTo(harness.simulator, '/cgi-bin/externalcontact/get_follow_user_list')).toHaveLength(3)
  })

  it('decides failure by errcode alone and names the path', async () => {
    const error = await failure(harness.wecom.client.call('getUser', { query: { userid: 'nobody' } }))
    expect([error.code, error.path]).toEqual([60111, '/cgi-bin/user/get'])
  })

  it('times out a call that takes too long', async () => {
    await harness.wecom.client.call('listFollowUsers', { query: {} })
    harness.simulator.setLatency(400)
    const error = await failure(anotherClient({ timeoutMs: 100 }).call('listFollowUsers', { query: {} }))
    expect(error.code).toBe(TransportCode.timeout)
    expect(error.message).not.toContain('access_token')
  })

  it('reports a wrong secret from gettoken without retrying it', async () => {
    const client = new WecomClient({ ...harness.wecomConfig, secret: 'wrong' }, harness.dataSource, { logger: createLogger('silent') })
    await harness.dataSource.query('DELETE FROM wecom_credentials')
    const error = await failure(client.call('listFollowUsers', { query: {} }))
    expect([error.code, error.path]).toEqual([40001, '/cgi-bin/gettoken'])
    expect(callsTo(harness.simulator, '/cgi-bin/gettoken')).toHaveLength(1)
  })

  it('caches both JS-SDK tickets, distinct from each other', async () => {
    const [corp, agent] = await Promise.all([harness.wecom.client.ticket('jsapi_ticket'), harness.wecom.client.ticket('agent_ticket')])
    expect(corp).toBe(harness.simulator.tickets.corp)
    expect(agent).toBe(harness.simulator.tickets.agent)
    await harness.wecom.client.ticket('agent_ticket')
    expect(callsTo(harness.simulator, '/cgi-bin/ticket/get')).toHaveLength(1)
  })
})
