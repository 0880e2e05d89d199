import Router from '@koa/router'
import type { DataSource } from 'typeorm'
import { pendingMigrations } from '../db/migrate'
import { notReady } from '../errors'
import { metricsRegistry } from '../metrics'

const READINESS_TIMEOUT_MS = 2_000

/** Liveness, readiness and Prometheus metrics. */
export function healthRoutes(dataSource: DataSource): Router {
  const router = new Router()

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' }
  })

  router.get('/readyz', async (ctx) => {
    const pending = await withTimeout(checkDatabase(dataSource), READINESS_TIMEOUT_MS)
    if (pending.length > 0) throw notReady(`Migrations not applied: ${pending.join(', ')}`)
    ctx.body = { status: 'ready' }
  })

  router.get('/metrics', async (ctx) => {
    ctx.type = metricsRegistry.contentType
    ctx.body = await metricsRegistry.metrics()
  })

  return router
}

async function checkDatabase(dataSource: DataSource): Promise<string[]> {
  try {
    await dataSource.query('SELECT 1')
    return await pendingMigrations(dataSource)
  } catch (error) {
    throw notReady(`Database unreachable: ${(error as Error).message}`)
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(notReady(`Database did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
