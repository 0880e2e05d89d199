import type { Context, Middleware } from 'koa'
import { pathUnderBase } from '../basePath'
import { answerPage } from '../html'
import { DEV_BRIDGE_PATH, devBridgeScript, readDevChat } from './devBridge'
import { DEMO_ACTION_PREFIX, DEMO_ACTIONS, type Flash } from './demoActions'
import { FormProblem, isForeignOrigin, readForm, UnreadableForm } from './demoForm'
import { renderDemoPage, renderScanPage, type ConsoleShortcut } from './demoPage'
import { DEMO_PAGE_SCRIPT, DEMO_PAGE_SCRIPT_PATH } from './demoPageScript'
import { CONTACT_WAY_SCAN_PATH } from '../api/contactWayApi'
import { firstValues } from '../api/oauth'
import type { Simulator } from '../api/simulator'

/**
 * The page runs only its own served script (no inline script or handler: names on it are
 * attacker-controlled), keeps its styles in one inline <style>, shows only its own images
 * (the 「联系我」 QR codes), posts only to itself and is never framed (no clickjacking of its
 * forms). form-action also allows the redirect of a card's button to the link it opens.
 */
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self' http: https:; base-uri 'none'; frame-ancestors 'none'"

/**
 * The demo console, composed on top of a simulator, under its basePath: GET `/` is the page
 * (the simulator's state, what it received), GET `/contact-way/scan` what a phone opens on
 * scanning a 「联系我」 QR code, POST `/__demo/<action>` runs a form (a WeCom-side
 * change through the simulator's methods) and redirects (303) back with the outcome in the
 * query; it also serves the stand-in JS bridge. Every other path goes to next().
 */
export function demoConsole(
  simulator: Simulator,
  { consoleShortcuts = [], consoleUrl = '/console/' }: { consoleShortcuts?: readonly ConsoleShortcut[]; consoleUrl?: string } = {},
): Middleware {
  const { basePath } = simulator
  return async function serveDemoConsole(ctx, next) {
    const path = pathUnderBase(ctx.path, basePath)
    if (path === undefined) return next()
    const reading = ctx.method === 'GET' || ctx.method === 'HEAD'
    if (reading && basePath !== '' && ctx.path === basePath) return ctx.redirect(`${basePath}/${ctx.search}`)
    if (reading && path === '/') return servePage(ctx)
    if (reading && path === CONTACT_WAY_SCAN_PATH) return serveScanPage(ctx)
    if (reading && path === DEV_BRIDGE_PATH) {
      ctx.type = 'application/javascript'
      ctx.set('Cache-Control', 'no-store')
      ctx.body = devBridgeScript(readDevChat(ctx))
      return
    }
    if (reading && path === DEMO_PAGE_SCRIPT_PATH) {
      ctx.type = 'application/javascript'
      ctx.set('X-Content-Type-Options', 'nosniff')
      ctx.body = DEMO_PAGE_SCRIPT
      return
    }
    if (ctx.method === 'POST' && path.startsWith(DEMO_ACTION_PREFIX)) return runAction(ctx, path.slice(DEMO_ACTION_PREFIX.length))
    return next()
  }

  function servePage(ctx: Context): void {
    const { options, company, appMessages, robotMessages, welcomeMessages, callbackUrl } = simulator
    setPageHeaders(ctx)
    ctx.body = renderDemoPage({
      basePath,
      corpId: options.corpId,
      agentId: options.agentId,
      callbackUrl,
      company,
      appMessages,
      robotMessages,
      welcomeMessages,
      oauthUser: simulator.oauthUserFor(ctx),
      consoleShortcuts,
      flash: readFlash(firstValues(ctx.query)),
    })
  }

  /** What the phone of a customer who scanned a way's QR code opens. */
  function serveScanPage(ctx: Context): void {
    const configId = firstValues(ctx.query).config_id ?? ''
    const way = simulator.company.contactWays.get(configId)
    if (!way) return answerPage(ctx, 404, '这个「联系我」二维码已失效：它已被删除，或从未存在。')
    setPageHeaders(ctx)
    ctx.body = renderScanPage(basePath, simulator.company, way)
  }

  async function runAction(ctx: Context, name: string): Promise<void> {
    if (isForeignOrigin(ctx)) return answerPage(ctx, 403, '拒绝：这个表单是从其他网站提交的（Origin 不符）。')
    const action = Object.hasOwn(DEMO_ACTIONS, name) ? DEMO_ACTIONS[name] : undefined
    if (!action) return answerPage(ctx, 404, `没有这个操作：${name}`)
    let flash: Flash
    try {
      flash = await action({ form: await readForm(ctx), simulator, ctx, consoleUrl })
    } catch (error) {
      if (error instanceof UnreadableForm) return answerPage(ctx, error.status, error.message)
      // The visitor should read why, on the page, whatever went wrong: never a bare 500.
      const text = error instanceof FormProblem ? error.message : `无法执行：${error instanceof Error ? error.message : String(error)}`
      flash = { kind: 'error', text }
    }
    ctx.redirect(flash.location ?? `${basePath}/?${new URLSearchParams({ [flash.kind]: flash.text })}`)
    ctx.status = 303
  }
}

function setPageHeaders(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store')
  ctx.set('Content-Security-Policy', PAGE_CSP)
  ctx.set('X-Content-Type-Options', 'nosniff')
  ctx.type = 'html'
}

/** The outcome a form post put in the redirect's query (`ok=…` or `error=…`). */
function readFlash(query: Record<string, string>): Flash | undefined {
  if (query.error) return { kind: 'error', text: query.error }
  if (query.ok) return { kind: 'ok', text: query.ok }
  return undefined
}
