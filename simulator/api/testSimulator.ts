import { expect } from 'vitest'
import { startCallbackReceiver } from './callbackReceiver'
import { createSimulator, type SeedCompany, type SimulatorOptions } from '../index'

/**
 * What the simulator's API tests share: a simulator on a free port with a clock the test
 * moves, a client bound to a token, a callback receiver. Each test file runs
 * `afterEach(closeTestServers)`.
 */

// The official WXBizMsgCrypt sample key, token and CorpID (wecom-protocol.md §1.7).
export const CORP_ID = 'wx5823bf96d3bd56c7'
export const TOKEN = 'QDG6eK'
export const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C'
export const SECRET = 'sim-secret'
export const AGENT_ID = 1000002
export const ROBOT_KEY = 'robot-key-1'

export type Json = Record<string, unknown> & { errcode: number; errmsg: string }

const cleanups: (() => Promise<void>)[] = []

/** Closes what the test started, newest first. */
export async function closeTestServers(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()?.()
}

/** Closes `close` after the test. */
export function afterTest(close: () => Promise<void>): void {
  cleanups.push(close)
}

/** A simulator on a free port with a clock the test moves. */
export async function start(overrides: Partial<SimulatorOptions> = {}, seed: SeedCompany = buildCompany()) {
  const clock = { ms: Date.parse('2025-03-01T08:00:00Z') }
  const simulator = createSimulator({
    corpId: CORP_ID,
    agentId: AGENT_ID,
    secret: SECRET,
    token: TOKEN,
    aesKey: AES_KEY,
    robotKeys: [ROBOT_KEY],
    followUserPageSize: 2,
    now: () => clock.ms,
    ...overrides,
  })
  simulator.seed(seed)
  const server = await simulator.listen()
  cleanups.push(server.close)
  return { simulator, base: server.url, clock }
}

/** Members zhangsan and lisi, three corp tags, customers wm1..wmN: wm1..wm3 followed by both, the rest by zhangsan. */
export function buildCompany({ customers = 7 } = {}): SeedCompany {
  const ids = Array.from({ length: customers }, (_, index) => `wm${index + 1}`)
  return {
    departments: [{ id: 2, name: '销售部' }],
    users: [
      { userid: 'zhangsan', name: '张三', department: [2], is_leader_in_dept: [1] },
      { userid: 'lisi', name: '李四', department: [2], direct_leader: ['zhangsan'] },
      { userid: 'wangwu', name: '王五' },
    ],
    tagGroups: [{ group_id: 'etGROUP1', group_name: '客户等级', tags: [{ id: 'etVIP', name: 'VIP' }, { id: 'etNEW', name: '新客' }] }],
    customers: ids.map((external_userid) => ({ external_userid, name: `客户${external_userid}` })),
    follows: [
      ...ids.map((external_userid) => ({ userid: 'zhangsan', external_userid })),
      ...ids.slice(0, 3).map((external_userid) => ({ userid: 'lisi', external_userid })),
    ],
  }
}

export async function call(base: string, path: string, query: Record<string, string> = {}, body?: unknown): Promise<Json> {
  const url = `${base}${path}?${new URLSearchParams(query).toString()}`
  const response = await fetch(url, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } })
  expect(response.status).toBe(200)
  return (await response.json()) as Json
}

export async function tokenFor(base: string): Promise<string> {
  const answer = await call(base, '/cgi-bin/gettoken', { corpid: CORP_ID, corpsecret: SECRET })
  expect(answer.errcode).toBe(0)
  return answer.access_token as string
}

/** A client bound to one fresh access token. */
export async function client(base: string) {
  const access_token = await tokenFor(base)
  return {
    get: (path: string, query: Record<string, string> = {}) => call(base, path, { access_token, ...query }),
    post: (path: string, body: unknown) => call(base, path, { access_token }, body),
  }
}

/** The shared test receiver, closed after each test. */
export async function callbackReceiver(status = 200) {
  const receiver = await startCallbackReceiver(status)
  cleanups.push(receiver.close)
  return receiver
}

export function encryptedPart(body: string): string {
  return /<Encrypt><!\[CDATA\[(.+?)\]\]><\/Encrypt>/.exec(body)?.[1] ?? ''
}

