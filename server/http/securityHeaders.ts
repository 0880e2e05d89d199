import type { Middleware } from 'koa'

/**
 * Our pages (the sidebar, the console, this server's own HTML) run only our bundled scripts:
 * Vite emits no inline script and @wecom/jssdk is bundled, not loaded from a CDN. Styles
 * may be inline because Vue can insert static template markup with style attributes.
 * Avatars and images come from WeCom's hosts. The sidebar and the console are opened by the
 * WeCom client as a top-level page (OAuth redirects with #wechat_redirect, the JS-SDK talks
 * to the window's WeixinJSBridge), never inside a frame: nobody may frame them.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** Anything that is not a page (JSON, metrics, assets) renders nothing, even if opened directly. */
export const NON_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'"

/** Answers that carry sessions, signatures or customer data: no browser or proxy may keep them. */
const NEVER_CACHED = /^\/(api\/|wecom\/callback$)/

/**
 * The security headers of every answer, in one place. A page that sets a stricter CSP of
 * its own (the simulator's demo page) keeps it.
 */
export function securityHeaders(): Middleware {
  return async function setSecurityHeaders(ctx, next) {
    try {
      await next()
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff')
      // Not no-referrer: it would make browsers send "Origin: null" on our own POSTs, which
      // the sign-in's and the demo forms' Origin checks refuse. This one sends only our
      // origin to other sites, so a ?code= in a page URL never leaves in a Referer.
      ctx.set('Referrer-Policy', 'strict-origin-when-cross-origin')
      ctx.set('X-Frame-Options', 'DENY')
      if (!ctx.response.get('Content-Security-Policy')) ctx.set('Content-Security-Policy', ctx.response.is('html') ? PAGE_CSP : NON_PAGE_CSP)
      if (NEVER_CACHED.test(ctx.path)) ctx.set('Cache-Control', 'no-store')
    }
  }
}
