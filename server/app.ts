import Koa from 'koa'
import mount from 'koa-mount'
import serve from 'koa-static'
import type { DataSource } from 'typeorm'
import type { Config } from '../config'
import { errorHandler } from './http/errorHandler'
import { requestLogger } from './http/requestLogger'
import type { Logger } from './logger'
import { healthRoutes } from './routes/health'
import { SIDEBAR_DIST } from './sidebarAssets'

export interface AppContext {
  config: Config
  dataSource: DataSource
  logger: Logger
}

/** The Koa application: every route the server answers, nothing started yet. */
export function createApp({ dataSource, logger }: AppContext): Koa {
  const app = new Koa()
  // Our errors are answered by errorHandler; Koa's default handler would log them twice.
  app.silent = true

  app.use(requestLogger(logger))
  app.use(errorHandler(logger))

  const health = healthRoutes(dataSource)
  app.use(health.routes()).use(health.allowedMethods())

  app.use(async function redirectSidebarRoot(ctx, next) {
    if (ctx.path === '/sidebar') return ctx.redirect(`/sidebar/${ctx.search}`)
    await next()
  })
  app.use(mount('/sidebar', serve(SIDEBAR_DIST, { index: 'index.html', setHeaders: cacheHashedAssets })))

  return app
}

/** Vite names built assets by content hash: they never change, index.html always may. */
function cacheHashedAssets(res: { setHeader(name: string, value: string): void }, path: string): void {
  const hashed = path.includes('/assets/')
  res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
}
