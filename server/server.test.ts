import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../config'
import { errorBody, freePort, serveApp } from '../test/app'
import { migratedDatabase, testDatabaseKind } from '../test/database'
import { PAGE_CSP } from './http/securityHeaders'
import { createLogger } from './logger'
import { startServer } from './server'

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

  it('sends the security headers: nosniff and a referrer policy everywhere, no-store on the API, a CSP on pages', async () => {
    const database = await migratedDatabase()
    const server = await serveApp(database.dataSource)
    cleanups.push(database.drop, server.stop)

    for (const response of [await fetch(`${server.url}/api/integrations/orders/shop`, { method: 'POST', body: '{}' }), await fetch(`${server.url}/api/no/such/route`)]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
    }
    const health = await fetch(`${server.url}/healthz`)
    expect(health.headers.get('x-content-type-options')).toBe('nosniff')

    const page = await fetch(`${server.url}/sidebar/`)
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(page.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.headers.get('cache-control')).toBe('no-cache')
    const csp = page.headers.get('content-security-policy')!
    expect(csp).toContain("script-src 'self';")
    expect(csp).toContain("img-src 'self' data: https:")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).not.toMatch(/script-src[^;]*unsafe/)
    // script-src 'self' holds only while the built page has no inline script.
    const html = await page.text()
    expect(html.match(/<script\b[^>]*>/g)!.every((tag) => / src="\/sidebar\//.test(tag))).toBe(true)
  })

  it('answers / with a page saying what this server is, and keeps JSON 404s for the API', async () => {
    const database = await migratedDatabase()
    const server = await serveApp(database.dataSource)
    cleanups.push(database.drop, server.stop)

    const home = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } })
    expect(home.status).toBe(200)
    expect(home.headers.get('content-type')).toMatch(/^text\/html/)
    expect(home.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    const html = await home.text()
    expect(html).toContain('<html lang="zh-CN">')
    expect(html).toContain('聊天工具栏')
    expect(html).toContain('href="/console/"')
    expect(html).not.toContain('/wecom-sim')

    const asJson = await fetch(`${server.url}/`, { headers: { accept: 'application/json' } })
    expect([asJson.status, (await errorBody(asJson)).id]).toEqual([404, 'not_found'])
    const api = await fetch(`${server.url}/api/nothing`, { headers: { accept: 'text/html' } })
    expect(api.status).toBe(404)
    expect(api.headers.get('content-type')).toMatch(/^application\/json/)
  })

  it.runIf(testDatabaseKind === 'sqlite')('in demo mode: listens on HOST only, links / to the simulator, and keeps the demo pages working under the CSP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrm-host-'))
    const port = await freePort()
    const config = parseConfig({ HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'scrm.sqlite')}` })
    const server = await startServer(config, createLogger('silent'))
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }), server.stop)

    expect((server.http.address() as AddressInfo).address).toBe('127.0.0.1')
    expect(server.url).toBe(`http://127.0.0.1:${port}`)

    const home = await (await fetch(`${server.url}/`)).text()
    expect(home).toContain('href="/wecom-sim/"')

    // The simulator's page: its own stricter CSP is kept, our other headers added.
    const demoPage = await fetch(`${server.url}/wecom-sim/`)
    expect(demoPage.status).toBe(200)
    const demoCsp = demoPage.headers.get('content-security-policy')!
    expect(demoCsp).not.toBe(PAGE_CSP)
    expect(demoCsp).toContain("default-src 'none'")
    expect(demoCsp).toContain("frame-ancestors 'none'")
    expect(demoPage.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
    expect(demoPage.headers.get('x-content-type-options')).toBe('nosniff')

    // The demo sidebar loads the dev bridge from our own origin, which script-src 'self' allows.
    const sidebar = await fetch(`${server.url}/sidebar/`)
    expect(sidebar.headers.get('content-security-policy')).toContain("script-src 'self';")
    const scripts = (await sidebar.text()).match(/<script\b[^>]*>/g)!
    expect(scripts[0]).toBe('<script src="/wecom-sim/dev-bridge.js">')
    expect(scripts.every((tag) => / src="\//.test(tag))).toBe(true)
    const bridge = await fetch(`${server.url}/wecom-sim/dev-bridge.js`)
    expect(bridge.status).toBe(200)
    expect(bridge.headers.get('content-type')).toMatch(/javascript/)

    const callback = await fetch(`${server.url}/wecom/callback`)
    expect(callback.headers.get('cache-control')).toBe('no-store')
  })
})
