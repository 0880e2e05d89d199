import { randomBytes } from 'node:crypto'
import Router from '@koa/router'
import type { DataSource } from 'typeorm'
import { z } from 'zod'
import type { Config, WecomConfig } from '../../config'
import { createSession, endSession, sameSecret, SESSION_ABSOLUTE_MS } from './sessions'
import type { Refresher } from '../mirror/refresh'
import { Member, MEMBER_STATUS } from '../entities'
import { AppError, badRequest, forbidden } from '../errors'
import { parseBody } from '../http/body'
import { requireSession, SESSION_COOKIE, type SessionState } from './requireSession'
import { WecomApiError } from '../wecom/errors'
import { WecomCode } from '../wecom/apiTypes'
import type { SessionInfo } from '../api/contract'
import { presentSession, presentSignature } from '../presenters/session'
import { signPageUrl } from '../wecom/jssdk'
import { authorizeUrl, isWecomClient, webLoginUrl } from '../wecom/oauth'
import type { WecomRuntime } from '../wecom/runtime'

const STATE_COOKIE = 'scrm_oauth_state'
const STATE_TTL_MS = 10 * 60_000
/** Pages a login may return to: ours, never another site. */
const RETURN_PATH = /^\/(sidebar|console)\/[^\\]*$/

export interface AuthRouteOptions {
  config: Config
  dataSource: DataSource
  wecom: WecomRuntime
  refresh: Refresher
}

/**
 * Sign-in through WeCom OAuth (SPEC §3.3), or its web login for the console in a PC browser
 * (§3.5); both hand back a code for `auth/getuserinfo`. The `state` is bound to the visitor
 * by a signed cookie, so a code obtained by someone else cannot sign this browser in (login CSRF).
 */
export function authRoutes({ config, dataSource, wecom, refresh }: AuthRouteOptions): Router<SessionState> {
  const router = new Router<SessionState>({ prefix: '/api' })
  const secure = config.publicUrl.startsWith('https:')
  const publicOrigin = new URL(config.publicUrl).origin

  router.get('/auth/start', (ctx) => {
    const returnTo = typeof ctx.query.return === 'string' ? ctx.query.return : '/sidebar/'
    if (!RETURN_PATH.test(returnTo) || returnTo.includes('//')) throw badRequest('return must be a page of ours, e.g. /sidebar/')
    const state = randomBytes(16).toString('hex')
    ctx.cookies.secure = secure
    ctx.cookies.set(STATE_COOKIE, state, { signed: true, httpOnly: true, sameSite: 'lax', secure, maxAge: STATE_TTL_MS, path: '/api/auth' })
    // The target depends on the browser: a cache in between must not serve one to the other.
    ctx.vary('User-Agent')
    ctx.redirect(signInUrl(wecom.config, { returnTo, redirectUri: `${config.publicUrl}${returnTo}`, userAgent: ctx.get('user-agent'), state }))
  })

  const pageUrl = z.url({ protocol: /^https?$/ }).max(2048)
  const sessionRequest = z.object({ code: z.string().min(1).max(512), state: z.string().min(1).max(128), url: pageUrl.optional() })

  /**
   * Both JS-SDK signatures of a page, handed out with the session so that the sidebar needs
   * no round trip of its own for them (SPEC §7: ≤ 2 round trips before the panel shows).
   */
  async function signaturesFor(url: string | undefined) {
    if (url === undefined) return undefined
    assertOwnPage(url)
    const [corp, agent] = await Promise.all([wecom.client.ticket('jsapi_ticket'), wecom.client.ticket('agent_ticket')])
    return { corp: signPageUrl(url, corp), agent: signPageUrl(url, agent) }
  }

  function assertOwnPage(url: string): void {
    if (new URL(url).origin !== publicOrigin) throw badRequest('Only pages of this site are signed')
  }

  // Everything that can refuse runs before the session exists: a refused sign-in leaves no
  // session row and sets no cookie (and a bad url does not spend the one-time code).
  router.post('/auth/session', async (ctx) => {
    const origin = ctx.get('origin')
    if (origin && origin !== publicOrigin) throw forbidden('Sign-in must come from our own pages')
    const { code, state, url } = await parseBody(ctx, sessionRequest)
    if (url !== undefined) assertOwnPage(url)
    if (!sameSecret(state, ctx.cookies.get(STATE_COOKIE, { signed: true }) ?? '')) {
      throw new AppError('oauth_state', 'This sign-in was not started in this browser; open the page again')
    }
    ctx.cookies.set(STATE_COOKIE, null, { path: '/api/auth' })

    let userid: string | undefined
    try {
      userid = (await wecom.client.call('getUserInfo', { query: { code } })).userid
    } catch (error) {
      if (error instanceof WecomApiError && error.code === WecomCode.invalidOauthCode) {
        throw new AppError('oauth_code', 'The sign-in code is used or expired; open the page again')
      }
      throw error
    }
    if (!userid) throw new AppError('not_a_member', 'Only members of the company can use this page')
    if (!(await dataSource.getRepository(Member).existsBy({ userid }))) await refresh.member(userid)
    const member = await dataSource.getRepository(Member).findOneBy({ userid })
    if (!member || member.status === MEMBER_STATUS.left) throw new AppError('not_a_member', 'Only members of the company can use this page')

    const signatures = await signaturesFor(url)
    const { token, csrfToken } = await createSession(dataSource, member.id)
    ctx.cookies.secure = secure
    ctx.cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_ABSOLUTE_MS, path: '/' })
    ctx.body = session(member, csrfToken, signatures)
  })

  router.get('/session', requireSession(dataSource), async (ctx) => {
    const url = ctx.query.url === undefined ? undefined : pageUrl.safeParse(ctx.query.url)
    if (url && !url.success) throw badRequest('url must be the page URL')
    ctx.body = session(ctx.state.member, ctx.state.member.csrfToken, await signaturesFor(url?.data))
  })

  router.delete('/session', requireSession(dataSource), async (ctx) => {
    await endSession(dataSource, ctx.cookies.get(SESSION_COOKIE)!)
    ctx.cookies.set(SESSION_COOKIE, null, { path: '/' })
    ctx.status = 204
  })

  const signatureRequest = z.object({ url: pageUrl, kind: z.enum(['corp', 'agent']) })

  // One endpoint answers both of ww.register's signers (when the page's URL changed since
  // the session call); the tickets stay on the server.
  router.post('/jssdk/signature', requireSession(dataSource), async (ctx) => {
    const { url, kind } = await parseBody(ctx, signatureRequest)
    assertOwnPage(url)
    const ticket = await wecom.client.ticket(kind === 'corp' ? 'jsapi_ticket' : 'agent_ticket')
    ctx.body = presentSignature(signPageUrl(url, ticket))
  })

  const session = (member: { userid: string; name: string }, csrfToken: string, signatures: SessionInfo['signatures']) =>
    presentSession(member, { csrfToken, isOperator: config.adminUserIds.includes(member.userid), wecom: wecom.config, signatures })

  return router
}

/**
 * Where a sign-in goes: the console outside the WeCom client to web login, since OAuth
 * works only inside the client; every other page (the sidebar always) to OAuth.
 */
function signInUrl(wecomConfig: WecomConfig, { returnTo, redirectUri, userAgent, state }: { returnTo: string; redirectUri: string; userAgent: string; state: string }): string {
  const consoleInBrowser = returnTo.startsWith('/console/') && !isWecomClient(userAgent)
  return consoleInBrowser ? webLoginUrl(wecomConfig, redirectUri, state) : authorizeUrl(wecomConfig, redirectUri, state)
}
