import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One POST the receiver got: its URL (with the signature query), content type and raw body. */
export interface ReceivedCallback {
  url: string
  contentType: string | undefined
  body: string
}

export interface CallbackReceiver {
  /** Use it as the simulator's callbackUrl. */
  url: string
  readonly received: ReceivedCallback[]
  close(): Promise<void>
}

/**
 * For tests: a plain HTTP server standing in for our callback endpoint. It records every
 * request and answers `status`, so a test sees exactly what the simulator delivered.
 */
export async function startCallbackReceiver(status = 200): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      received.push({ url: request.url ?? '', contentType: request.headers['content-type'], body })
      response.statusCode = status
      response.end('success')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
