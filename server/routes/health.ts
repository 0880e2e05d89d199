import Router from '@koa/router'
import type { Middleware } from 'koa'
import type { DataSource } from 'typeorm'
import { sameSecret } from '../auth/sessions'
import { pendingMigrations } from '../db/migrate'
import { notReady, unauthorized } from '../errors'
import type { Logger } from '../logger'
import { metricsRegistry } from '../metrics'

const READINESS_TIMEOUT_MS = 2_000

export interface HealthRouteOptions {
  dataSource: DataSource
  logger: Logger
  /** METRICS_TOKEN: when set, /metrics answers only `Authorization: Bearer <token>`. */
  metricsToken: string | null
}

/** Liveness, readiness and Prometheus metrics. The probes stay open: orchestrators carry no token. */
export function healthRoutes({ dataSource, logger, metricsToken }: HealthRouteOptions): Router {
  const router = new Router()

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' }
  })

  router.get('/readyz', async (ctx) => {
    let pending: string[]
    try {
      pending = await withTimeout(checkDatabase(dataSource), READINESS_TIMEOUT_MS)
    } catch (error) {
      // The driver's message names the database's host, port or file: for our log, not for any caller.
      logger.warn({ err: error }, 'readiness check failed')
      throw notReady('The database is not reachable')
    }
    if (pending.length > 0) throw notReady(`Migrations not applied: ${pending.join(', ')}`)
    ctx.body = { status: 'ready' }
  })

  router.get('/metrics', ...(metricsToken ? [requireBearer(metricsToken)] : []), async (ctx) => {
    ctx.type = metricsRegistry.contentType
    ctx.body = await metricsRegistry.metrics()
  })

  return router
}

/** `Authorization: Bearer <token>`, compared in constant time; anything else is 401. */
function requireBearer(token: string): Middleware {
  return async function checkBearer(ctx, next) {
    const given = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1]
    if (!sameSecret(given, token)) {
      ctx.set('WWW-Authenticate', 'Bearer')
      throw unauthorized('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>')
    }
    await next()
  }
}

async function checkDatabase(dataSource: DataSource): Promise<string[]> {
  await dataSource.query('SELECT 1')
  return pendingMigrations(dataSource)
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`The database did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
