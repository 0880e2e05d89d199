import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../logger'
import { testDatabaseKind } from '../../test/database'
import { callsTo, startWecomHarness, type WecomHarness } from '../../test/wecom'
import { TransportCode, WecomCode } from './apiTypes'
import { virtualClock } from '../../test/clock'
import type { Clock } from '../clock'
import { RATE_LIMIT_BLOCK_MS, WecomClient, type WecomClientOptions } from './client'
import { WecomApiError } from './errors'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness()
})
afterEach(async () => harness.cleanup())

const FOLLOW_USERS = '/cgi-bin/externalcontact/get_follow_user_list'

const anotherClient = (options: WecomClientOptions = {}) =>
  new WecomClient(harness.wecomConfig, harness.dataSource, { logger: createLogger('silent'), backoffBaseMs: 5, ...options })

/** A clock that stands still until the test moves it: callers can be caught waiting. */
function manualClock(start = Date.now()): Clock & { readonly sleeping: number; advance(ms: number): void } {
  let now = start
  let sleepers: { wakeAt: number; wake: () => void }[] = []
  return {
    now: () => now,
    sleep: (ms) => new Promise<void>((wake) => void sleepers.push({ wakeAt: now + ms, wake })),
    get sleeping() {
      return sleepers.length
    },
    advance(ms) {
      now += ms
      const due = sleepers.filter((sleeper) => sleeper.wakeAt <= now)
      sleepers = sleepers.filter((sleeper) => sleeper.wakeAt > now)
      for (const sleeper of due) sleeper.wake()
    },
  }
}

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
    expect(answer.follow_user).toContain('seller')
    expect(callsTo(harness.simulator, '/cgi-bin/gettoken')).toHaveLength(2)
  })

  it('gives up after one refresh when WeCom keeps rejecting the token', async () => {
    harness.simulator.injectFault({ path: FOLLOW_USERS, errcode: WecomCode.invalidAccessToken })
    const error = await failure(harness.wecom.client.call('listFollowUsers', { query: {} }))
    expect(error.code).toBe(40014)
    expect(callsTo(harness.simulator, '/cgi-bin/gettoken')).toHaveLength(2)
  })

  it('backs off on 45033 on its clock, and succeeds when WeCom lets it', async () => {
    harness.simulator.injectFault({ path: FOLLOW_USERS, errcode: WecomCode.concurrencyLimited, times: 2 })
    const clock = virtualClock()
    const answer = await anotherClient({ clock, backoffBaseMs: 1_000 }).call('listFollowUsers', { query: {} })
    expect(answer.follow_user.length).toBe(4)
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(3)
    // About 1 s then 2 s, each with jitter of ±50%.
    expect(clock.slept).toHaveLength(2)
    expect(clock.slept[0]).toBeGreaterThanOrEqual(500)
    expect(clock.slept[0]).toBeLessThanOrEqual(1_500)
    expect(clock.slept[1]).toBeGreaterThanOrEqual(1_000)
    expect(clock.slept[1]).toBeLessThanOrEqual(3_000)
  })

  it('stops backing off after a bounded number of tries, with a typed error', async () => {
    harness.simulator.injectFault({ path: FOLLOW_USERS, errcode: WecomCode.concurrencyLimited })
    const error = await failure(anotherClient({ busyTries: 3, clock: virtualClock() }).call('listFollowUsers', { query: {} }))
    expect([error.code, error.path]).toEqual([45033, FOLLOW_USERS])
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(3)
  })

  it('does not back off on -1 longer than the call may wait', async () => {
    harness.simulator.injectFault({ path: FOLLOW_USERS, errcode: WecomCode.systemBusy })
    const clock = virtualClock()
    const error = await failure(anotherClient({ clock, backoffBaseMs: 1_000 }).call('listFollowUsers', { query: {} }, { maxWaitMs: 100 }))
    expect(error.code).toBe(-1)
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(1)
    expect(clock.slept).toEqual([])
  })

  it('after a 45009, holds every caller of that endpoint until the block ends; other endpoints go on', async () => {
    const clock = manualClock()
    const client = anotherClient({ clock, maxWaitMs: 2 * RATE_LIMIT_BLOCK_MS })
    await client.call('listFollowUsers', { query: {} })
    harness.simulator.injectFault({ path: FOLLOW_USERS, errcode: WecomCode.rateLimited, times: 1 })

    const first = client.call('listFollowUsers', { query: {} })
    await vi.waitFor(() => expect(clock.sleeping).toBe(1))
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(2)
    // A second caller, after the 45009: it waits too, without asking WeCom.
    const second = client.call('listFollowUsers', { query: {} })
    await vi.waitFor(() => expect(clock.sleeping).toBe(2))
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(2)

    // WeCom's limits are per API: the others are not held.
    expect((await client.call('listDepartments', { query: {} })).department.length).toBeGreaterThan(0)
    expect(clock.sleeping).toBe(2)

    clock.advance(RATE_LIMIT_BLOCK_MS - 1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(2)
    clock.advance(1)
    const answers = await Promise.all([first, second])
    expect(answers.map((answer) => answer.follow_user.length)).toEqual([4, 4])
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(4)
    // The block has ended: a call that may not wait goes straight through.
    expect((await client.call('listFollowUsers', { query: {} }, { maxWaitMs: 0 })).follow_user.length).toBe(4)
  })

  it('fails an interactive call at once while its endpoint is blocked, naming the wait', async () => {
    const clock = manualClock()
    // The default: calls may wait a few seconds, as for someone looking at a page.
    const client = anotherClient({ clock })
    harness.simulator.injectFault({ path: FOLLOW_USERS, errcode: WecomCode.rateLimited, times: 1 })
    const received = await failure(client.call('listFollowUsers', { query: {} }))
    expect([received.code, received.path]).toEqual([45009, FOLLOW_USERS])
    expect(received.message).toMatch(/blocks this API for another 60 s, longer than this call may wait \(5000 ms\)/)

    clock.advance(30_000)
    const held = await failure(client.call('listFollowUsers', { query: {} }))
    expect(held.message).toContain('another 30 s')
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(1)
    expect(clock.sleeping).toBe(0)

    // Within what it may wait, a call waits for the end of the block, then goes through.
    clock.advance(26_000)
    const waiting = client.call('listFollowUsers', { query: {} })
    await vi.waitFor(() => expect(clock.sleeping).toBe(1))
    clock.advance(4_000)
    expect((await waiting).follow_user.length).toBe(4)
    expect(callsTo(harness.simulator, FOLLOW_USERS)).toHaveLength(2)
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
