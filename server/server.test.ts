import { afterEach, describe, expect, it } from 'vitest'
import { serveApp } from '../test/app'
import { migratedDatabase } from '../test/database'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

describe('the HTTP server', () => {
  it('serves the built sidebar at /sidebar/', async () => {
    const database = await migratedDatabase()
    const server = await serveApp(database.dataSource)
    cleanups.push(database.drop, server.stop)

    const redirect = await fetch(`${server.url}/sidebar`, { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe('/sidebar/')

    const page = await fetch(`${server.url}/sidebar/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-cache')
    const html = await page.text()
    const script = html.match(/src="(\/sidebar\/assets\/[^"]+\.js)"/)?.[1]
    expect(script).toBeDefined()
    const asset = await fetch(`${server.url}${script}`)
    expect(asset.status).toBe(200)
    expect(asset.headers.get('cache-control')).toContain('immutable')
  })

  it('finishes requests in flight on shutdown, refuses new ones, then closes the database', async () => {
    const database = await migratedDatabase()
    let arrived!: () => void
    const slowRequestArrived = new Promise<void>((resolve) => (arrived = resolve))
    let releaseSlowRequest!: () => void
    const running = await serveApp(database.dataSource, {
      extend: (app) =>
        app.use(async function slowRoute(ctx) {
          if (ctx.path !== '/test/slow') return
          arrived()
          await new Promise<void>((release) => (releaseSlowRequest = release))
          ctx.body = { finished: true }
        }),
    })
    cleanups.push(database.drop, running.stop)

    const inFlight = fetch(`${running.url}/test/slow`)
    await slowRequestArrived
    const stopped = running.stop()
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow()
    expect(database.dataSource.isInitialized).toBe(true)

    releaseSlowRequest()
    const response = await inFlight
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ finished: true })
    await stopped
    expect(database.dataSource.isInitialized).toBe(false)
  })
})
