import type { Middleware } from 'koa'
import type { Logger } from '../logger'
import { AppError, internalError, notFound } from '../errors'

/** Koa's own HTTP errors (body too large, bad JSON …) mapped onto our ids. */
const idForStatus: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

/** The one place errors become responses: `{ error: { id, message } }`. */
export function errorHandler(logger: Logger): Middleware {
  return async function handleErrors(ctx, next) {
    try {
      await next()
      if (ctx.status === 404 && ctx.body === undefined) throw notFound(`No route for ${ctx.method} ${ctx.path}`)
    } catch (caught) {
      const error = toAppError(caught)
      if (error.status >= 500) logger.error({ err: caught, path: ctx.path }, 'request failed')
      ctx.status = error.status
      ctx.body = { error: { id: error.id, message: error.message } }
    }
  }
}

function toAppError(caught: unknown): AppError {
  if (caught instanceof AppError) return caught
  const httpError = caught as { status?: unknown; expose?: unknown; message?: unknown }
  if (typeof httpError.status === 'number' && httpError.status >= 400 && httpError.status < 500) {
    const id = idForStatus[httpError.status] ?? 'bad_request'
    const message = httpError.expose === true && typeof httpError.message === 'string' ? httpError.message : id
    return new AppError(id, httpError.status, message)
  }
  return internalError()
}
