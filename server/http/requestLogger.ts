import type { Middleware } from 'koa'
import type { Logger } from '../logger'
import { redactUrl } from '../logger'
import { httpRequestDuration, httpRequestsTotal } from '../metrics'

/** Logs every request (secrets redacted) and feeds the HTTP metrics. */
export function requestLogger(logger: Logger): Middleware {
  return async function logRequest(ctx, next) {
    const started = process.hrtime.bigint()
    try {
      await next()
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      // The matched route pattern keeps metric labels bounded; raw paths would not.
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? (ctx.status === 404 ? 'unmatched' : ctx.path.split('/').slice(0, 2).join('/') || '/')
      const labels = { method: ctx.method, route: String(route), status: String(ctx.status) }
      httpRequestDuration.observe(labels, seconds)
      httpRequestsTotal.inc(labels)
      // Skip building the record (and redacting the URL) when nobody would read it.
      if (logger.isLevelEnabled('info')) logger.info(
        { method: ctx.method, url: redactUrl(ctx.originalUrl), status: ctx.status, ms: Math.round(seconds * 1e4) / 10 },
        'request',
      )
    }
  }
}
