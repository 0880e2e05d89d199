import type { Middleware } from 'koa'
import type { DataSource } from 'typeorm'
import { findSession, sameSecret, type SignedInMember } from './sessions'
import { AppError, unauthorized } from '../errors'

export const SESSION_COOKIE = 'scrm_session'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface SessionState {
  member: SignedInMember
}

/**
 * Every /api route behind it needs a signed-in member; a state-changing request must also
 * carry the session's CSRF token in X-CSRF-Token, which another site cannot read.
 */
export function requireSession(dataSource: DataSource): Middleware<SessionState> {
  return async function authenticate(ctx, next) {
    const member = await findSession(dataSource, ctx.cookies.get(SESSION_COOKIE))
    if (!member) throw unauthorized('Sign in through WeCom first')
    if (!SAFE_METHODS.has(ctx.method) && !sameSecret(ctx.get('x-csrf-token') || undefined, member.csrfToken)) {
      throw new AppError('csrf', 'Missing or wrong X-CSRF-Token')
    }
    ctx.state.member = member
    await next()
  }
}
