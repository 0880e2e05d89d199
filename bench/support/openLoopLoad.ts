import { Agent, request } from 'node:http'

/** One prepared POST: everything costly (encryption, signing) is done before the clock starts. */
export interface PreparedRequest {
  /** Path and query, e.g. `/wecom/callback?msg_signature=…`. */
  path: string
  body: Buffer
  contentType: string
}

export interface OpenLoopOptions {
  host: string
  port: number
  requests: PreparedRequest[]
  ratePerSecond: number
  /** A request without a full answer by then counts as an error (WeCom gives up after 5 s). */
  timeoutMs: number
  agent: Agent
}

export interface OpenLoopOutcome {
  /** Requests sent (all of them, unless the generator could not keep up: see scheduleLagMs). */
  sent: number
  /** Wall time from the first scheduled send to the last actual send. */
  sendSeconds: number
  /** Send to full response, by request (in send order); NaN for a request without an answer. */
  latenciesMs: Float64Array
  /** How late each send left compared with its slot on the clock (generator health). */
  scheduleLagMs: Float64Array
  /** Answers by HTTP status. */
  statuses: Record<string, number>
  /** Requests without an answer, by error code (ECONNRESET, timeout, …). */
  errors: Record<string, number>
}

/**
 * Sends the requests at a fixed rate, each in its slot on the clock whatever the answers
 * do (open loop): a slow server shows up as latency, not as a lower rate. Resolves when
 * every request has been answered or has failed.
 */
export function runOpenLoop({ host, port, requests, ratePerSecond, timeoutMs, agent }: OpenLoopOptions): Promise<OpenLoopOutcome> {
  const total = requests.length
  const latenciesMs = new Float64Array(total).fill(NaN)
  const scheduleLagMs = new Float64Array(total)
  const statuses: Record<string, number> = {}
  const errors: Record<string, number> = {}
  const slotNs = 1e9 / ratePerSecond
  let next = 0
  let settled = 0
  let lastSendNs = 0n

  return new Promise((resolve) => {
    const start = process.hrtime.bigint()
    const finishIfDone = () => {
      if (settled < total || next < total) return
      resolve({
        sent: next,
        sendSeconds: Number(lastSendNs - start) / 1e9,
        latenciesMs,
        scheduleLagMs,
        statuses,
        errors,
      })
    }

    const send = (index: number) => {
      const prepared = requests[index]!
      const sentAt = process.hrtime.bigint()
      lastSendNs = sentAt
      scheduleLagMs[index] = Math.max(0, Number(sentAt - start) - index * slotNs) / 1e6
      let done = false
      let deadline: NodeJS.Timeout | undefined
      const settle = (outcome: { status: number } | { error: string }) => {
        if (done) return
        done = true
        clearTimeout(deadline)
        settled++
        if ('status' in outcome) {
          latenciesMs[index] = Number(process.hrtime.bigint() - sentAt) / 1e6
          statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1
        } else {
          errors[outcome.error] = (errors[outcome.error] ?? 0) + 1
        }
        finishIfDone()
      }
      const req = request(
        {
          host,
          port,
          method: 'POST',
          path: prepared.path,
          agent,
          headers: { 'Content-Type': prepared.contentType, 'Content-Length': prepared.body.length },
        },
        (res) => {
          // The latency ends with the last byte of the answer, not with its headers.
          res.resume()
          res.on('end', () => settle({ status: res.statusCode ?? 0 }))
          res.on('error', (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }))
        },
      )
      // A deadline on the whole exchange, as WeCom has; req.setTimeout would only catch idle sockets.
      deadline = setTimeout(() => {
        settle({ error: 'timeout' })
        req.destroy()
      }, timeoutMs)
      req.on('error', (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }))
      req.end(prepared.body)
    }

    // Timers fire about once a millisecond: each tick sends every request whose slot has come.
    const tick = () => {
      const elapsedNs = Number(process.hrtime.bigint() - start)
      const due = Math.min(total, Math.floor(elapsedNs / slotNs) + 1)
      while (next < due) send(next++)
      if (next < total) setTimeout(tick, 1)
      else finishIfDone()
    }
    tick()
  })
}

/** A keep-alive agent with room for every request a stalled server could leave in flight. */
export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets })
}
