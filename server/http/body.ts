import type { Context } from 'koa'
import getRawBody from 'raw-body'
import type { z } from 'zod'
import { badRequest, payloadTooLarge, validationFailed } from '../errors'

const JSON_LIMIT = 64 * 1024

/**
 * Reads a JSON body (64 KB at most, unless `limit` says more: an uploaded file's text) and
 * validates it; a bad one is a clear 4xx, never a 500.
 */
export async function parseBody<S extends z.ZodType>(ctx: Context, schema: S, { limit = JSON_LIMIT }: { limit?: number } = {}): Promise<z.infer<S>> {
  let text: string
  try {
    text = await getRawBody(ctx.req, { limit, encoding: 'utf8', length: ctx.get('content-length') || undefined })
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') throw payloadTooLarge(`A request body is at most ${Math.floor(limit / 1024)} KB`)
    throw badRequest('The request body could not be read')
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw badRequest('The request body is not JSON')
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    throw validationFailed(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '))
  }
  return parsed.data
}
