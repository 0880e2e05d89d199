/**
 * The callback ack's floor (SPEC §7), run as a process of its own by ackFloor.ts: a bare
 * `node:http` route that appends each POST body to a file and fsyncs before answering 200.
 * Bodies that arrive while an fsync is in flight are written and synced together by the
 * next one (group commit, as MySQL does for our journal), so the floor is what a durable
 * ack costs on this disk, not a queue of one fsync per request. `GET` answers the counts.
 * ACK_FLOOR_FILE names the file; it prints `ack-floor listening on <port>` once it listens.
 */
import { open } from 'node:fs/promises'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const file = process.env.ACK_FLOOR_FILE
if (!file) throw new Error('ACK_FLOOR_FILE must name the file to append to')
const journal = await open(file, 'a')

let waiting: { body: Buffer; res: ServerResponse }[] = []
let flushing = false
const counts = { appended: 0, fsyncs: 0 }

/** Writes and syncs everything waiting, then whatever arrived meanwhile, until none is left. */
async function flush(): Promise<void> {
  flushing = true
  try {
    while (waiting.length > 0) {
      const batch = waiting
      waiting = []
      let status = 200
      try {
        await journal.writev(batch.map(({ body }) => body))
        await journal.sync()
        counts.appended += batch.length
        counts.fsyncs++
      } catch {
        // Not durable, so not acknowledged: the load generator counts these as failures.
        status = 500
      }
      for (const { res } of batch) res.writeHead(status, { 'Content-Length': 0 }).end()
    }
  } finally {
    flushing = false
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(counts))
    return
  }
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    waiting.push({ body: Buffer.concat(chunks), res })
    if (!flushing) void flush()
  })
})
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ack-floor listening on ${(server.address() as AddressInfo).port}\n`)
})

process.once('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  void journal.close().finally(() => process.exit(0))
})
