import type { Context } from 'koa'
import { escapeHtml } from '../html'
import type { SimUser } from './state'

/**
 * The query parameter the picker page adds when it submits: the member who "scanned". Not a
 * WeCom parameter; WeCom learns who it is from the scan.
 */
export const MEMBER_PICKED_PARAM = 'sim_userid'

/**
 * The web login page when no one is logged in to the simulated client: where WeCom shows its QR
 * code, a member picker. It submits the link's own parameters back with the chosen member.
 */
export function webLoginPickerPage(ctx: Context, query: Record<string, string>, members: SimUser[]): void {
  const carried = Object.entries(query)
    .filter(([name]) => name !== MEMBER_PICKED_PARAM)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('')
  const options = members
    .map((member) => `<option value="${escapeHtml(member.userid)}">${escapeHtml(`${member.name}（${member.userid}）`)}</option>`)
    .join('')
  ctx.status = 200
  ctx.type = 'html'
  ctx.body = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>企业微信登录（模拟器）</title>
<h1>企业微信登录</h1>
<p>模拟器里没有人登录企业微信客户端。选择扫码登录的成员：</p>
<form method="get" action="${escapeHtml(ctx.path)}">${carried}
<label>成员 <select name="${MEMBER_PICKED_PARAM}" required>${options}</select></label>
<button type="submit">登录</button>
</form></html>`
}
