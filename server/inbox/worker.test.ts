import { afterEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { InboxEvent } from '../entities'
import { createLogger } from '../logger'
import { createDataSource } from '../db/dataSource'
import { migratedDatabase, testDatabaseKind } from '../../test/database'
import { journalCallback } from './journal'
import { MAX_ATTEMPTS, replayDeadLetters, startInboxWorker, type InboxHandler, type InboxWorker } from './worker'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

const plaintext = (n: number) => `<xml><Event>change_external_tag</Event><ChangeType>update</ChangeType><Id>et${n}</Id><CreateTime>${n}</CreateTime></xml>`

function worker(dataSource: DataSource, handle: InboxHandler, options: { retryBaseMs?: number } = {}): InboxWorker {
  const running = startInboxWorker({ dataSource, handle, logger: createLogger('silent'), idleMs: 10, retryBaseMs: options.retryBaseMs ?? 5, batchSize: 5 })
  cleanups.push(running.stop)
  return running
}

const rows = (dataSource: DataSource) => dataSource.getRepository(InboxEvent).find({ order: { id: 'ASC' } })

describe(`inbox worker on ${testDatabaseKind}`, () => {
  it('retries a failing handler with back-off, dead-letters it with the error, and replays it', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    await journalCallback(dataSource, plaintext(1))
    let healthy = false
    const attemptsSeen: number[] = []
    const running = worker(dataSource, async (event) => {
      attemptsSeen.push(event.attempts)
      if (!healthy) throw new Error('WeCom said 45009 too often')
      return 'done'
    })
    await expect.poll(async () => (await rows(dataSource))[0]!.status, { timeout: 15_000 }).toBe('dead')
    const [dead] = await rows(dataSource)
    expect(dead).toMatchObject({ attempts: MAX_ATTEMPTS, lastError: 'Error: WeCom said 45009 too often' })
    expect(attemptsSeen).toEqual([1, 2, 3, 4, 5, 6, 7, 8])

    healthy = true
    expect(await replayDeadLetters(dataSource)).toBe(1)
    running.wake()
    await expect.poll(async () => (await rows(dataSource))[0]!.status, { timeout: 5_000 }).toBe('done')
    expect((await rows(dataSource))[0]).toMatchObject({ attempts: 1, lastError: null })
    expect(await replayDeadLetters(dataSource)).toBe(0)
  })

  it('spaces retries exponentially', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    await journalCallback(dataSource, plaintext(2))
    const times: number[] = []
    worker(dataSource, async () => {
      times.push(Date.now())
      throw new Error('still failing')
    }, { retryBaseMs: 40 })
    await expect.poll(() => times.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4)
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    // 40, 80, 160 ms, each ±25%, plus polling.
    expect(gaps[0]).toBeGreaterThanOrEqual(30)
    expect(gaps[2]).toBeGreaterThanOrEqual(120)
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!)
  })

  it.runIf(testDatabaseKind === 'mysql')('lets any number of workers share the inbox, each event handled once', async () => {
    const database = await migratedDatabase()
    cleanups.push(database.cleanup)
    for (let n = 1; n <= 60; n++) await journalCallback(database.dataSource, plaintext(n))
    const handled: number[] = []
    const slowHandler: InboxHandler = async (event) => {
      handled.push(event.id)
      await new Promise((resolve) => setTimeout(resolve, 5))
      return 'done'
    }
    // Three workers, each with its own connection pool, as three processes would have.
    for (let i = 0; i < 3; i++) {
      const dataSource = createDataSource(database.config)
      await dataSource.initialize()
      cleanups.push(() => dataSource.destroy())
      worker(dataSource, slowHandler)
    }
    await expect.poll(async () => (await rows(database.dataSource)).filter((r) => r.status === 'done').length, { timeout: 15_000 }).toBe(60)
    expect(handled).toHaveLength(60)
    expect(new Set(handled).size).toBe(60)
  })

  it.runIf(testDatabaseKind === 'mysql')('takes an event with a deadline at once, beside a round of slow work, instead of after it', async () => {
    const { dataSource, cleanup } = await migratedDatabase()
    cleanups.push(cleanup)
    for (let n = 1; n <= 5; n++) await journalCallback(dataSource, plaintext(100 + n))
    const handled: { id: number; at: number }[] = []
    let releaseSlow: () => void = () => {}
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve))
    const running = worker(dataSource, async (event) => {
      // The ordinary events wait on WeCom for as long as the test likes.
      if (event.deadlineAt === null) await slow
      handled.push({ id: event.id, at: Date.now() })
      return 'done'
    })
    await expect.poll(async () => (await rows(dataSource)).filter((r) => r.attempts > 0).length, { timeout: 5_000 }).toBe(5)

    const welcomeAdd = '<xml><Event>change_external_contact</Event><ChangeType>add_external_contact</ChangeType><UserID>seller</UserID><ExternalUserID>wmNew</ExternalUserID><WelcomeCode>CODE</WelcomeCode><CreateTime>1</CreateTime></xml>'
    const journaledAt = Date.now()
    await journalCallback(dataSource, welcomeAdd)
    running.wake(true)
    await expect.poll(() => handled.length, { timeout: 5_000 }).toBe(1)
    const urgent = (await rows(dataSource)).find((r) => r.changeType === 'add_external_contact')!
    expect(handled[0]!.id).toBe(urgent.id)
    expect(handled[0]!.at - journaledAt).toBeLessThan(1_000)

    releaseSlow()
    await expect.poll(async () => (await rows(dataSource)).every((r) => r.status === 'done'), { timeout: 5_000 }).toBe(true)
    expect(handled).toHaveLength(6)
  })
})
