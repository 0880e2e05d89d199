import type { Middleware } from 'koa'
import type { ErrorId } from '../api/errors'
import type { Logger } from '../logger'
import { AppError, internalError, notFound } from '../errors'

/** Koa's own HTTP errors (body too large, bad JSON …) mapped onto our ids. */
const idForStatus: Partial<Record<number, ErrorId>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

/** What a failed request is answered with. */
interface ErrorAnswer {
  id: ErrorId
  status: number
  message: string
}

/** The one place errors become responses: `{ error: { id, message } }`. */
export function errorHandler(logger: Logger): Middleware {
  return async function handleErrors(ctx, next) {
    try {
      await next()
      if (ctx.status === 404 && ctx.body === undefined) throw notFound(`No route for ${ctx.method} ${ctx.path}`)
    } catch (caught) {
      const answer = answerFor(caught)
      if (answer.status >= 500) logger.error({ err: caught, path: ctx.path }, 'request failed')
      ctx.status = answer.status
      ctx.body = { error: { id: answer.id, message: answer.message } }
    }
  }
}

function answerFor(caught: unknown): ErrorAnswer {
  if (caught instanceof AppError) return caught
  const httpError = caught as { status?: unknown; expose?: unknown; message?: unknown }
  if (typeof httpError.status === 'number' && httpError.status >= 400 && httpError.status < 500) {
    // A client error Koa names and we do not (411, 416 …) keeps its status, under bad_request.
    const id = idForStatus[httpError.status] ?? 'bad_request'
    const message = httpError.expose === true && typeof httpError.message === 'string' ? httpError.message : id
    return { id, status: httpError.status, message }
  }
  return internalError()
}
