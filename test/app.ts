import { once } from 'node:events'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import type Koa from 'koa'
import type { DataSource } from 'typeorm'
import { expect } from 'vitest'
import { parseConfig, type Config } from '../config'
import { createApp } from '../server/app'
import { createLogger, type Logger } from '../server/logger'
import { listen, type RunningServer } from '../server/server'
import type { WecomRuntime } from '../server/wecom/runtime'

/** A logger whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: () => string } {
  let text = ''
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString()
      done()
    },
  })
  return { logger: createLogger('info', sink), lines: () => text }
}

/** Our real app on a free port over a given database; extend() may add test-only middleware after ours. */
export async function serveApp(
  dataSource: DataSource,
  {
    config = parseConfig({}),
    logger = createLogger('silent'),
    wecom,
    extend,
  }: { config?: Config; logger?: Logger; wecom?: WecomRuntime; extend?: (app: Koa) => void } = {},
): Promise<RunningServer> {
  const app = createApp({ config, dataSource, logger, wecom })
  extend?.(app)
  return listen(app, { port: config.port === 3000 ? 0 : config.port, dataSource, logger })
}

export interface ErrorBody {
  error: { id: string; message: string }
}

/** The `{ error: { id, message } }` body of a refused request. */
export async function errorBody(response: Response): Promise<ErrorBody['error']> {
  return ((await response.json()) as ErrorBody).error
}

/** The JSON body of an answer expected to have `status` (its body shows in the failure when not). */
export async function jsonBody<T>(response: Response, status = 200): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(status)
  return (await response.json()) as T
}

/** A port free right now, so that a server's PUBLIC_URL can name it before it starts. */
export async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
