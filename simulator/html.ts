import type { Context } from 'koa'
import { escapeHtml } from '../server/html'

/**
 * HTML output of the simulator, for its API side (the OAuth error pages) and its console
 * (the demo page) alike. Every value it shows may come from a visitor or a customer
 * nickname, so all of it goes through escapeHtml, the one the product uses too.
 */
export { escapeHtml }

/** A small HTML page with one message, like the one the WeCom client shows when it cannot go on. */
export function answerPage(ctx: Context, status: number, message: string): void {
  ctx.status = status
  ctx.type = 'html'
  ctx.body = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>WeCom simulator</title><p>${escapeHtml(message)}</p></html>`
}
