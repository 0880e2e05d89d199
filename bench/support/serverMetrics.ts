/**
 * The server's own view of a load window, from its Prometheus endpoint: CPU, event-loop
 * delay, callback handling time and worker progress. Set beside the client's latencies it
 * tells whether time went inside the handler or before it (queues, a busy event loop).
 */

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface ServerSnapshot {
  atMs: number
  cpuSeconds: number
  /** prom-client resets its event-loop histogram at every scrape: these cover the time since the last one. */
  eventLoopDelayP99Ms: number
  eventLoopDelayMaxMs: number
  callbacks: number
  callbacksWithin50Ms: number
  callbackSeconds: number
  inboxProcessed: number
}

/** The server's load over a window. Scrape nothing in between: that would reset the event-loop figures. */
export interface ServerLoad {
  /** Of one core: 100 % is one core busy all the time. */
  cpuPercent: number
  eventLoopDelayP99Ms: number
  eventLoopDelayMaxMs: number
}

/** What the server handled over a window. */
export interface ServerWork {
  /** Callbacks the server itself timed (from its first middleware to the answer). */
  callbacks: number
  callbackMeanMs: number
  /** Share of those the server finished within 50 ms (histogram bucket le=0.05). */
  callbacksWithin50MsPercent: number
  /** Inbox events the worker finished in the window. */
  inboxProcessed: number
}

const CALLBACK_ROUTE = { method: 'POST', route: '/wecom/callback' }

export async function snapshotServer(baseUrl: string): Promise<ServerSnapshot> {
  const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`)
  const samples = parsePrometheusText(await response.text())
  const sum = (name: string, match: Record<string, string> = {}) =>
    samples
      .filter((sample) => sample.name === name && Object.entries(match).every(([key, value]) => sample.labels[key] === value))
      .reduce((total, sample) => total + sample.value, 0)
  return {
    atMs: performance.now(),
    cpuSeconds: sum('process_cpu_seconds_total'),
    eventLoopDelayP99Ms: sum('nodejs_eventloop_lag_p99_seconds') * 1000,
    eventLoopDelayMaxMs: sum('nodejs_eventloop_lag_max_seconds') * 1000,
    callbacks: sum('http_request_duration_seconds_count', CALLBACK_ROUTE),
    callbacksWithin50Ms: sum('http_request_duration_seconds_bucket', { ...CALLBACK_ROUTE, le: '0.05' }),
    callbackSeconds: sum('http_request_duration_seconds_sum', CALLBACK_ROUTE),
    inboxProcessed: sum('inbox_processed_total'),
  }
}

export function serverLoad(before: ServerSnapshot, after: ServerSnapshot): ServerLoad {
  return {
    cpuPercent: ((after.cpuSeconds - before.cpuSeconds) / ((after.atMs - before.atMs) / 1000)) * 100,
    eventLoopDelayP99Ms: after.eventLoopDelayP99Ms,
    eventLoopDelayMaxMs: after.eventLoopDelayMaxMs,
  }
}

export function serverWork(before: ServerSnapshot, after: ServerSnapshot): ServerWork {
  const callbacks = after.callbacks - before.callbacks
  return {
    callbacks,
    callbackMeanMs: callbacks > 0 ? ((after.callbackSeconds - before.callbackSeconds) / callbacks) * 1000 : NaN,
    callbacksWithin50MsPercent: callbacks > 0 ? ((after.callbacksWithin50Ms - before.callbacksWithin50Ms) / callbacks) * 100 : NaN,
    inboxProcessed: after.inboxProcessed - before.inboxProcessed,
  }
}

function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/)
    if (!match) continue
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}
