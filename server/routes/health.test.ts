import { afterEach, describe, expect, it } from 'vitest'
import { createDataSource } from '../db/dataSource'
import { parseConfig } from '../../config'
import { capturingLogger, errorBody, serveApp } from '../../test/app'
import { createTestDatabase, migratedDatabase, testDatabaseKind } from '../../test/database'
import { startTcpProxy } from '../../test/tcpProxy'

const cleanups: (() => Promise<void>)[] = []

/** A MySQL test database reached through a TCP proxy the test can cut or close. */
async function mysqlThroughProxy() {
    const database = await createTestDatabase()
    const target = new URL(database.config.kind === 'mysql' ? database.config.url : '')
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 3306))
    const viaProxy = new URL(target)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(proxy.port)
    const dataSource = createDataSource({ kind: 'mysql', url: viaProxy.toString() })
    await dataSource.initialize()
  return { database, proxy, dataSource }
}
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

describe(`health endpoints on ${testDatabaseKind}`, () => {
  it('answers liveness, readiness and Prometheus metrics', async () => {
    const database = await migratedDatabase()
    const server = await serveApp(database.dataSource)
    cleanups.push(database.drop, server.stop)

    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })

    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready' })

    const metrics = await fetch(`${server.url}/metrics`)
    expect(metrics.headers.get('content-type')).toContain('text/plain')
    const text = await metrics.text()
    expect(text).toContain('process_cpu_user_seconds_total')
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/)
  })

  it('is not ready while migrations are pending', async () => {
    const database = await createTestDatabase()
    const dataSource = createDataSource(database.config)
    await dataSource.initialize()
    const server = await serveApp(dataSource)
    cleanups.push(database.drop, server.stop)

    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(503)
    const error = await errorBody(ready)
    expect(error.id).toBe('not_ready')
    expect(error.message).toContain('InitialSchema')
    // The probe only reads: it must not have created TypeORM's ledger.
    expect(await dataSource.createQueryRunner().hasTable('migrations')).toBe(false)
  })

  it('says the database is down without telling an unauthenticated caller where it is, and logs why', async () => {
    const database = await migratedDatabase()
    const { logger, lines } = capturingLogger()
    const server = await serveApp(database.dataSource, { logger })
    cleanups.push(database.drop, server.stop)
    // A database whose address (host and port, or file) the driver would name in its error.
    await database.dataSource.destroy()

    const down = await fetch(`${server.url}/readyz`)
    expect(down.status).toBe(503)
    const text = await down.text()
    expect(JSON.parse(text)).toEqual({ error: { id: 'not_ready', message: 'The database is not reachable' } })
    expect(text).not.toContain(database.name)
    expect(lines()).toContain('readiness check failed')
  })

  it.runIf(testDatabaseKind === 'mysql')('does not name the MySQL host it cannot reach', async () => {
    const { database, proxy, dataSource } = await mysqlThroughProxy()
    const { logger, lines } = capturingLogger()
    const server = await serveApp(dataSource, { logger })
    cleanups.push(database.drop, proxy.close.bind(proxy), server.stop)

    // Closed for good: new connections are refused at once, and the driver's error names the address.
    await proxy.close()
    const text = await (await fetch(`${server.url}/readyz`)).text()
    expect(text).not.toContain(String(proxy.port))
    expect(text).not.toContain('127.0.0.1')
    expect(lines()).toContain('readiness check failed')
  })

  it('serves /metrics only with the bearer token when METRICS_TOKEN is set', async () => {
    const database = await migratedDatabase()
    const token = 'metrics-token-0123456789abcdef'
    const server = await serveApp(database.dataSource, { config: parseConfig({ METRICS_TOKEN: token }) })
    cleanups.push(database.drop, server.stop)

    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token}x`, `Basic ${token}`, token, 'Bearer ']) {
      const refused = await fetch(`${server.url}/metrics`, { headers: authorization === undefined ? {} : { authorization } })
      expect([authorization, refused.status]).toEqual([authorization, 401])
      expect(refused.headers.get('www-authenticate')).toBe('Bearer')
      expect(await refused.text()).not.toContain('process_cpu')
    }
    const allowed = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    expect(allowed.status).toBe(200)
    expect(await allowed.text()).toContain('process_cpu_user_seconds_total')
    // Probes stay open: an orchestrator has no token.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
  })

  it.runIf(testDatabaseKind === 'mysql')('is not ready while MySQL is unreachable, and ready again after', async () => {
    const { database, proxy, dataSource } = await mysqlThroughProxy()
    const { migrate } = await import('../db/migrate')
    await migrate(dataSource)
    const server = await serveApp(dataSource)
    cleanups.push(database.drop, proxy.close.bind(proxy), server.stop)

    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)

    proxy.cut()
    const started = Date.now()
    const down = await fetch(`${server.url}/readyz`)
    expect(down.status).toBe(503)
    const error = await errorBody(down)
    expect(error).toEqual({ id: 'not_ready', message: 'The database is not reachable' })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)

    proxy.restore()
    await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 10_000 }).toBe(200)
  })
})
