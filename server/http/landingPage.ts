import type { Middleware } from 'koa'
import { escapeHtml } from '../html'

/**
 * `GET /` for someone who opened the server's address in a browser: what this is and where
 * to go. Programs asking for JSON still get the JSON 404 (the errorHandler's).
 */
export function landingPage({ simulatorPath }: { simulatorPath: string | null }): Middleware {
  const html = renderLandingPage(simulatorPath)
  return async function serveLandingPage(ctx, next) {
    if (ctx.path !== '/' || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.accepts('html', 'json') !== 'html') return next()
    ctx.type = 'html'
    ctx.set('Cache-Control', 'no-cache')
    ctx.body = html
  }
}

function renderLandingPage(simulatorPath: string | null): string {
  const next = simulatorPath
    ? `<p>这是<strong>演示模式</strong>：没有连接真实的企业微信，内置的模拟器代替它。</p>
<p><a href="${escapeHtml(`${simulatorPath}/`)}">打开企业微信模拟器</a>：选择成员和聊天中的客户，再从那里打开侧边栏；也可以在模拟器里做企业微信一侧的变更，查看机器人发出的消息。</p>
<p>连接真实的企业微信：设置 <code>WECOM_CORP_ID</code> 等变量（见 <code>.env.example</code>）后重新启动。</p>`
    : `<p>侧边栏在企业微信的聊天工具栏中打开（在企业微信管理后台把 <code>/sidebar/</code> 配置为聊天工具栏页面），不要直接在浏览器中打开。</p>
<p>运营和主管使用<a href="/console/">管理后台</a>（<code>/console/</code>）。</p>`
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wecom-scrm</title>
</head>
<body>
<main>
<h1>wecom-scrm：企业微信客户管理</h1>
<p>这个服务接收企业微信的回调，并为成员提供聊天工具栏中的客户侧边栏。</p>
${next}
<p>运维：<code>/healthz</code>、<code>/readyz</code>、<code>/metrics</code>。</p>
</main>
</body>
</html>
`
}
