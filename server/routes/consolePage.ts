import type { Middleware } from 'koa'
import type { DataSource } from 'typeorm'
import type { Config } from '../../config'
import type { SessionState } from '../auth/requireSession'
import type { ConsoleViewer } from '../console/team'
import { forbidden } from '../errors'
import type { Logger } from '../logger'
import type { WecomRuntime } from '../wecom/runtime'

/**
 * What a console page's router gets (server/routes/console.ts mounts each behind the session
 * and the role check): its own module, so that the pages and the console router import it
 * and not each other.
 */
export interface ConsoleState extends SessionState {
  viewer: ConsoleViewer
}

export interface ConsoleRouteOptions {
  config: Config
  dataSource: DataSource
  /** WeCom (the console is mounted only when the server talks to WeCom) and the app's logger, for pages that call it or run WeCom work. */
  wecom: WecomRuntime
  logger: Logger
}

/** For the routes of operators' pages (话术库, 标签, 订单来源, 系统 …): managers get 403 forbidden. */
export const requireOperator: Middleware<ConsoleState> = async (ctx, next) => {
  if (ctx.state.viewer.role !== 'operator') throw forbidden('Only operators may do this')
  await next()
}
