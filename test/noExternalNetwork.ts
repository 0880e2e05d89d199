/**
 * A vitest setup file: no test reaches a host other than this machine. axios (node:http),
 * fetch (undici), mysql2 and tls all open their connections through net.Socket's connect,
 * so that is where a connection elsewhere is refused, before any DNS lookup. The refusal
 * is an error on the socket (what the client sees) and, in case the code under test
 * swallows it (retries, fallbacks), a failure of the test itself after it ends.
 */
import net from 'node:net'
import { afterEach } from 'vitest'

// This machine: loopback, and the wildcard addresses (connecting to them reaches this machine too).
const THIS_MACHINE = /^(localhost|127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3}|0\.0\.0\.0|::)$/i

const refused: string[] = []

/** The refusals so far, forgotten: for a test that reaches out on purpose to see the refusal. */
export function takeRefusedConnections(): string[] {
  return refused.splice(0)
}

/** Host and port of a connect() call, or null for a Unix socket or pipe. */
function targetOf(args: unknown[]): { host: string; port: unknown } | null {
  // net.connect() and tls.connect() hand connect() their arguments already normalized: [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  if (first !== null && typeof first === 'object') {
    const options = first as { path?: string | null; host?: string; port?: unknown }
    if (typeof options.path === 'string') return null
    return { host: options.host ?? 'localhost', port: options.port }
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return null
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first }
}

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const target = targetOf(args)
  if (target && !THIS_MACHINE.test(target.host.replace(/^\[|\]$/g, ''))) {
    const error = Object.assign(new Error(`a test tried to connect to ${target.host}:${String(target.port)}: tests never leave this machine (test/noExternalNetwork.ts); point the client at the simulator`), { code: 'ETESTNETWORK' })
    refused.push(error.message)
    process.nextTick(() => this.destroy(error))
    return this
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args)
} as typeof connect

afterEach(() => {
  const attempts = takeRefusedConnections()
  if (attempts.length > 0) throw new Error(`${attempts.length} outbound connection(s) refused:\n${attempts.join('\n')}`)
})
