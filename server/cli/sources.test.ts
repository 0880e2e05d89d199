import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { OrderSource } from '../entities'
import { signRequest } from '../orders/sources'
import type { RunningServer } from '../server'
import { serveApp } from '../../test/app'
import { migratedDatabase, testDatabaseKind } from '../../test/database'
import { runScript } from '../../test/processes'

let dataSource: DataSource
let cleanup: () => Promise<void>
let databaseUrl: string
beforeEach(async () => {
  ;({ dataSource, cleanup, url: databaseUrl } = await migratedDatabase())
})
afterEach(() => cleanup())

/** `npm run sources -- <args>`, run to its end. */
async function sources(...args: string[]) {
  const run = runScript('server/cli/sources.ts', { args, env: { DATABASE_URL: databaseUrl, PUBLIC_URL: 'https://scrm.example.com' } })
  const { code } = await run.exited
  return { code, output: run.output() }
}

const SECRET_LINE = /^([A-Za-z0-9_-]{43})$/m
const secretIn = (output: string) => output.match(SECRET_LINE)?.[1]

/** Posts one signed order to our real app, as a shop system would. */
async function postOrder(server: RunningServer, source: string, secret: string): Promise<number> {
  const body = JSON.stringify({ orders: [{ order_no: 'CLI0001', status: 'paid', paid_at: '2026-03-01 10:00:00', amount: 10, items: [], buyer_id: 'b1' }] })
  const timestamp = String(Math.floor(Date.now() / 1000))
  const response = await fetch(`${server.url}/api/integrations/orders/${source}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-scrm-timestamp': timestamp, 'x-scrm-signature': signRequest(secret, timestamp, body) },
  })
  return response.status
}

describe(`npm run sources on ${testDatabaseKind}`, () => {
  it('adds a source whose printed secret signs requests the server accepts; rotate retires it; list never shows it', async () => {
    const added = await sources('add', 'shop-a', '--platform', 'tmall')
    expect(added.code, added.output).toBe(0)
    expect(added.output).toContain('https://scrm.example.com/api/integrations/orders/shop-a')
    const secret = secretIn(added.output)!
    expect(secret).toBeDefined()

    const server = await serveApp(dataSource)
    try {
      expect(await postOrder(server, 'shop-a', secret)).toBe(200)

      const rotated = await sources('rotate', 'shop-a')
      expect(rotated.code, rotated.output).toBe(0)
      const fresh = secretIn(rotated.output)!
      expect(fresh).toBeDefined()
      expect(fresh).not.toBe(secret)
      expect(await postOrder(server, 'shop-a', secret)).toBe(401)
      expect(await postOrder(server, 'shop-a', fresh)).toBe(200)

      const listed = await sources('list')
      expect(listed.code, listed.output).toBe(0)
      expect(listed.output).toMatch(/^shop-a\s+tmall\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/m)
      expect(listed.output).not.toContain(secret)
      expect(listed.output).not.toContain(fresh)

      const removed = await sources('remove', 'shop-a')
      expect(removed.code, removed.output).toBe(0)
      expect(await postOrder(server, 'shop-a', fresh)).toBe(404)
      expect((await sources('list')).output).toContain('No order sources yet')
    } finally {
      await server.stop()
    }
  })

  it('refuses bad names, a duplicate name, unknown sources and bad usage with exit code 2', async () => {
    expect((await sources('add', 'shop-a', '--platform', 'tmall')).code).toBe(0)
    const [duplicate, upper, long, slash, noPlatform, unknownRotate, unknownRemove, noCommand, wrongCommand] = await Promise.all([
      sources('add', 'shop-a', '--platform', 'jd'),
      sources('add', 'Shop', '--platform', 'tmall'),
      sources('add', 'a'.repeat(33), '--platform', 'tmall'),
      sources('add', 'x/y', '--platform', 'tmall'),
      sources('add', 'shop-b'),
      sources('rotate', 'shop-nope'),
      sources('remove', 'shop-nope'),
      sources(),
      sources('delete', 'shop-a'),
    ])
    expect(duplicate).toMatchObject({ code: 2, output: expect.stringContaining('already exists') })
    for (const bad of [upper, long, slash]) expect(bad, bad.output).toMatchObject({ code: 2 })
    expect(upper.output).toContain('is not a source name')
    expect(noPlatform).toMatchObject({ code: 2, output: expect.stringContaining('--platform') })
    expect(unknownRotate).toMatchObject({ code: 2, output: expect.stringContaining('No source named "shop-nope"') })
    expect(unknownRemove.code).toBe(2)
    expect(noCommand).toMatchObject({ code: 2, output: expect.stringContaining('Usage: npm run sources') })
    expect(wrongCommand).toMatchObject({ code: 2, output: expect.stringContaining('Unknown command "delete"') })

    // Nothing but the first add was written; the duplicate kept the first platform.
    expect(await dataSource.getRepository(OrderSource).find()).toEqual([expect.objectContaining({ name: 'shop-a', platform: 'tmall', rotatedAt: null })])
  })
})
