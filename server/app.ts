import Koa from 'koa'
import mount from 'koa-mount'
import serve from 'koa-static'
import type { DataSource } from 'typeorm'
import type { Config } from '../config'
import { errorHandler } from './http/errorHandler'
import { landingPage } from './http/landingPage'
import { requestLogger } from './http/requestLogger'
import { securityHeaders } from './http/securityHeaders'
import type { Logger } from './logger'
import { createRefresher } from './mirror/refresh'
import { authRoutes } from './auth/signInRoutes'
import { consoleRoutes } from './routes/console'
import { customerRoutes } from './routes/customers'
import { healthRoutes } from './routes/health'
import { orderWebhookRoutes } from './routes/orderWebhook'
import { wecomCallbackRoutes } from './routes/wecomCallback'
import type { WecomRuntime } from './wecom/runtime'
import { PAGES } from './pageAssets'

export interface AppContext {
  config: Config
  dataSource: DataSource
  logger: Logger
  /** The WeCom side: present when the server talks to WeCom (or to the demo's simulator). */
  wecom?: WecomRuntime
  /** Demo mode's pages for browsers (server/demo/demoServer.ts); production passes none. */
  demo?: DemoMount
}

/** What demo mode adds to the app, typed here so that the app never imports demo or simulator code. */
export interface DemoMount {
  /** Where the simulator's page is: the landing page points there. */
  simulatorPath: string
  /** Mounted after our routes and before the built pages, which they may serve differently. */
  middleware: Koa.Middleware[]
}

/** The Koa application: every route the server answers, nothing started yet. */
export function createApp({ config, dataSource, logger, wecom, demo }: AppContext): Koa {
  const app = new Koa()
  // Signs the OAuth state cookie.
  app.keys = [config.sessionSecret]
  // Our errors are answered by errorHandler; Koa's default handler would log them twice.
  app.silent = true

  app.use(requestLogger(logger))
  // Outside the error handler, so that error answers carry the headers too.
  app.use(securityHeaders())
  app.use(errorHandler(logger))
  app.use(landingPage({ simulatorPath: demo?.simulatorPath ?? null }))

  const health = healthRoutes({ dataSource, logger, metricsToken: config.metricsToken })
  app.use(health.routes()).use(health.allowedMethods())
  // Signed by the shop system, not by a session: mounted before the session-guarded /api routers.
  const orderWebhook = orderWebhookRoutes({ dataSource, timeZone: config.timezone, logger })
  app.use(orderWebhook.routes()).use(orderWebhook.allowedMethods())

  if (wecom) {
    // Read at each callback: the worker that listens may be started after the app.
    const callback = wecomCallbackRoutes({ codec: wecom.codec, dataSource, spool: wecom.spool, logger, onJournaled: (urgent) => wecom.onJournaled?.(urgent) })
    app.use(callback.routes()).use(callback.allowedMethods())
    const auth = authRoutes({ config, dataSource, wecom, refresh: createRefresher(dataSource, wecom.client, logger) })
    app.use(auth.routes()).use(auth.allowedMethods())
    const customers = customerRoutes({ config, dataSource, wecom })
    app.use(customers.routes()).use(customers.allowedMethods())
    const consoleApi = consoleRoutes({ config, dataSource, wecom, logger })
    app.use(consoleApi.routes()).use(consoleApi.allowedMethods())
  }

  for (const middleware of demo?.middleware ?? []) app.use(middleware)

  // The built pages, /sidebar/ and /console/: their assets load relative to the trailing slash.
  const pagePaths = new Set(PAGES.map(({ name }) => `/${name}`))
  app.use(async function redirectPageRoot(ctx, next) {
    if (pagePaths.has(ctx.path)) return ctx.redirect(`${ctx.path}/${ctx.search}`)
    await next()
  })
  for (const { name, dist } of PAGES) app.use(mount(`/${name}`, serve(dist, { index: 'index.html', setHeaders: cacheHashedAssets })))

  return app
}

/** Vite names built assets by content hash: they never change, index.html always may. */
function cacheHashedAssets(res: { setHeader(name: string, value: string): void }, path: string): void {
  const hashed = path.includes('/assets/')
  res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
}
