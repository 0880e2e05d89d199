/** What the benchmarks that run our server against the simulator share: the app both agree on, the server's environment, and callbacks to send it. */
import { DEMO_MEMBERS } from '../../server/demo/company'
import type { SeedCompany, Simulator } from '../../simulator'
import { eventXml } from '../../simulator/api/callbacks'
import type { BenchDatabase } from './benchDatabase'
import type { PreparedRequest } from './openLoopLoad'

/** The app the simulator and the server agree on. */
export const BENCH_CREDENTIALS = {
  corpId: 'wwbench000000001',
  agentId: 1000002,
  secret: 'bench-app-secret',
  token: 'BenchToken2024',
  aesKey: 'BenchmarkEncodingAESKey0123456789abcdefghij',
}

/** `npm start`'s environment for a server on `database` talking to the simulator at `wecomUrl`. */
export function wecomServerEnvironment(database: BenchDatabase, wecomUrl: string): Record<string, string> {
  return {
    PORT: '0',
    DATABASE_URL: database.url,
    WECOM_CORP_ID: BENCH_CREDENTIALS.corpId,
    WECOM_AGENT_ID: String(BENCH_CREDENTIALS.agentId),
    WECOM_SECRET: BENCH_CREDENTIALS.secret,
    WECOM_TOKEN: BENCH_CREDENTIALS.token,
    WECOM_AES_KEY: BENCH_CREDENTIALS.aesKey,
    WECOM_API_BASE: wecomUrl,
    WECOM_OAUTH_BASE: wecomUrl,
    WECOM_LOGIN_BASE: wecomUrl,
    SESSION_SECRET: 'bench-session-secret-not-for-production',
    LOG_LEVEL: 'warn',
  }
}

/**
 * Encrypted `edit_external_contact` callbacks, all distinct (CreateTime counts up), cycling
 * over the demo company's real member–customer relations, so each one sends the worker to
 * `externalcontact/get`. Built ahead of the clock: AES and SHA-1 are WeCom's cost, not ours.
 */
export function editCallbacks(simulator: Simulator, company: SeedCompany) {
  const follows = (company.follows ?? []).filter((follow) => DEMO_MEMBERS.includes(follow.userid))
  // In the past, so that no event claims to come from the future.
  const firstCreateTime = Math.floor(Date.now() / 1000) - 86_400
  let sequence = 0
  return (count: number): PreparedRequest[] =>
    Array.from({ length: count }, () => {
      const follow = follows[sequence % follows.length]!
      const plaintext = eventXml({ corpId: BENCH_CREDENTIALS.corpId, createTime: firstCreateTime + sequence++, event: 'change_external_contact' }, [
        ['ChangeType', 'edit_external_contact'],
        ['UserID', follow.userid],
        ['ExternalUserID', follow.external_userid],
      ])
      const { query, body } = simulator.buildCallback(plaintext)
      return { path: `/wecom/callback?${new URLSearchParams(query)}`, body: Buffer.from(body), contentType: 'text/xml' }
    })
}

