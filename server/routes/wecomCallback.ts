import Router from '@koa/router'
import getRawBody from 'raw-body'
import type { DataSource } from 'typeorm'
import { AppError, payloadTooLarge } from '../errors'
import { hasDeadline, journalCallback } from '../inbox/journal'
import type { InboxSpool } from '../inbox/spool'
import { inboxMetrics } from '../inbox/worker'
import type { Logger } from '../logger'
import { CallbackError, type CallbackCodec, type SignedQuery } from '../wecom/callbackCodec'

export const CALLBACK_BODY_LIMIT = 1024 * 1024

export interface CallbackRouteOptions {
  codec: CallbackCodec
  dataSource: DataSource
  spool: InboxSpool
  logger: Logger
  /** Told after each new journal entry, so a worker can start at once. */
  /** `urgent`: a processor must handle it by a deadline (a welcome). */
  onJournaled?: (urgent: boolean) => void
}

/** The first value of each query parameter: a repeated one must not become an array. */
function signedQuery(query: Record<string, string | string[] | undefined>): SignedQuery & { echostr?: string } {
  const first = (name: string) => {
    const value = query[name]
    return Array.isArray(value) ? value[0] : value
  }
  return { msg_signature: first('msg_signature'), timestamp: first('timestamp'), nonce: first('nonce'), echostr: first('echostr') }
}

const refused = (error: CallbackError) => new AppError(`callback_${error.problem}`, error.message)

/**
 * WeCom's callback URL (SPEC §4.1): verify, decrypt, journal, answer. Nothing slow happens
 * before the answer, and nothing is written for a refused request.
 */
export function wecomCallbackRoutes({ codec, dataSource, spool, logger, onJournaled }: CallbackRouteOptions): Router {
  const router = new Router()

  router.get('/wecom/callback', (ctx) => {
    try {
      ctx.type = 'text/plain'
      ctx.body = codec.openUrlVerification(signedQuery(ctx.query))
    } catch (error) {
      throw error instanceof CallbackError ? refused(error) : error
    }
  })

  router.post('/wecom/callback', async (ctx) => {
    let body: string
    try {
      body = await getRawBody(ctx.req, { limit: CALLBACK_BODY_LIMIT, encoding: 'utf8', length: ctx.get('content-length') || undefined })
    } catch (error) {
      if ((error as { type?: string }).type === 'entity.too.large') throw payloadTooLarge('A callback body is at most 1 MB')
      throw new AppError('bad_request', 'The callback body could not be read')
    }
    let opened: ReturnType<CallbackCodec['openEnvelope']>
    try {
      opened = codec.openEnvelope(signedQuery(ctx.query), body)
    } catch (error) {
      throw error instanceof CallbackError ? refused(error) : error
    }
    const { plaintext, fields } = opened

    const receivedAt = new Date()
    try {
      if (await journalCallback(dataSource, plaintext, receivedAt, { fields })) {
        inboxMetrics.received.inc()
        onJournaled?.(hasDeadline(fields))
      }
    } catch (error) {
      // The database is away: the spool keeps the event (fsynced) until it is back.
      logger.warn({ err: error }, 'inbox unavailable; callback spooled')
      await spool.append(plaintext, receivedAt)
    }
    ctx.status = 200
    ctx.body = ''
  })

  return router
}
