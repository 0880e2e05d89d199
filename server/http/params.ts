import { z } from 'zod'
import { notFound } from '../errors'

/**
 * Path parameters, validated at the edge like bodies are (parseBody). A path whose
 * parameters are malformed names nothing we have, so it answers 404 not_found — as if the
 * route pattern had not matched — and never reaches a query.
 *
 *   const tagPath = z.object({ externalUserid: externalUseridParam, tagId: idParam })
 *   const { externalUserid, tagId } = parseParams(ctx, tagPath)
 */
export function parseParams<S extends z.ZodType>(ctx: { params: Record<string, string | undefined> }, schema: S): z.infer<S> {
  const parsed = schema.safeParse(ctx.params)
  if (!parsed.success) {
    throw notFound(`No such resource: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'path'} ${issue.message}`).join('; ')}`)
  }
  return parsed.data
}

/** A row id: a positive safe integer in plain decimal (no sign, exponent, hex or spaces). */
export const idParam = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a positive integer')
  .transform(Number)
  .refine(Number.isSafeInteger, 'must be a positive integer')

/** A WeCom external_userid: printable ASCII without spaces, at most 64 characters (its column). */
export const externalUseridParam = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'must be a WeCom external_userid')

/** A WeCom userid: printable ASCII without spaces, at most 64 characters (its column). */
export const useridParam = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'must be a WeCom userid')
