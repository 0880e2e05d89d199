import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Middleware } from 'koa'
import type { DataSource } from 'typeorm'
import type { Config, WecomConfig } from '../../config'
import { DEV_BRIDGE_PATH, demoConsole } from '../../simulator'
import type { DemoMount } from '../app'
import type { Logger } from '../logger'
import { SIDEBAR_DIST } from '../pageAssets'
import type { WecomClient } from '../wecom/client'
import { DEMO_MANAGER, DEMO_OPERATOR } from './company'
import { SIMULATOR_PATH, startDemoWecom, syncDemoCompany } from './demoWecom'

/**
 * Demo mode inside `npm start`. The server loads this module (and with it the simulator)
 * only in demo mode, by a dynamic import, so a production start never runs simulator code.
 */
export interface DemoServer {
  /** The demo app's WeCom: the simulator on its own loopback port. */
  wecom: WecomConfig
  /** The demo company's operators, for a run that names none in ADMIN_USERIDS. */
  operators: string[]
  /** What the app mounts for browsers: the simulator's OAuth, its console, and the sidebar with the stand-in WeCom host. */
  mount: DemoMount
  /** Once our server listens at `serverUrl`: the simulator calls back there, and the demo company is synced into our database. */
  connect(serverUrl: string, dataSource: DataSource, client: WecomClient, logger: Logger): Promise<void>
  /** Stops the simulator and saves its state. */
  close(): Promise<void>
}

export async function startDemoServer(config: Config): Promise<DemoServer> {
  const demo = await startDemoWecom(config)
  const { simulator } = demo
  return {
    wecom: demo.wecom,
    operators: [DEMO_OPERATOR],
    mount: {
      simulatorPath: SIMULATOR_PATH,
      middleware: [
        simulator.middleware(),
        demoConsole(simulator, {
          // A fresh sign-in: a console already open in this browser as someone else switches member.
          consoleUrl: `/api/auth/start?return=${encodeURIComponent('/console/')}`,
          consoleShortcuts: [
            { userid: DEMO_OPERATOR, label: '以运营身份打开后台（陈静）' },
            { userid: DEMO_MANAGER, label: '以主管身份打开后台（王磊）' },
          ],
        }),
        sidebarWithDevBridge(`${SIMULATOR_PATH}${DEV_BRIDGE_PATH}`),
      ],
    },
    async connect(serverUrl, dataSource, client, logger) {
      simulator.callbackUrl = `${serverUrl}/wecom/callback`
      await syncDemoCompany(dataSource, client, logger)
    },
    close: demo.close,
  }
}

/**
 * The sidebar page with the simulator's stand-in WeixinJSBridge loaded before the app, so
 * that it runs in a plain browser. Demo mode only: production serves the page as built.
 */
function sidebarWithDevBridge(devBridgeUrl: string): Middleware {
  return async function serveSidebarWithDevBridge(ctx, next) {
    if (ctx.method !== 'GET' || (ctx.path !== '/sidebar/' && ctx.path !== '/sidebar/index.html')) return next()
    const html = await readFile(join(SIDEBAR_DIST, 'index.html'), 'utf8')
    ctx.type = 'html'
    ctx.set('Cache-Control', 'no-cache')
    ctx.body = html.replace('<head>', `<head>\n    <script src="${devBridgeUrl}"></script>`)
  }
}
