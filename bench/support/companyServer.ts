/**
 * The server the panel and console benchmarks call, on the kept company (companyDatabase.ts):
 * started as `npm start` in a working folder of its own, never reaching WeCom, with the day's
 * digest marked done first: started after 09:00, its scheduler would otherwise catch the
 * digest up beside the measured calls. Everything it changes is undone by `teardown`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request, type Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DataSource } from 'typeorm'
import { JobRun } from '../../server/entities'
import { businessDate } from '../../server/time'
import { forgetDigestRuns } from './companyDatabase'
import { startServerProcess, type ServerProcess } from './serverProcess'
import type { Teardown } from './teardown'

export const COMPANY_TIME_ZONE = 'Asia/Shanghai'

export async function startCompanyServer(
  company: { url: string; dataSource: DataSource },
  { benchmark, teardown }: { benchmark: string; teardown: Teardown },
): Promise<ServerProcess> {
  await forgetDigestRuns(company.dataSource)
  await company.dataSource.getRepository(JobRun).insert({
    job: 'daily-digest',
    businessDate: businessDate(new Date(), COMPANY_TIME_ZONE),
    status: 'done',
    claimedBy: `bench-${benchmark}`,
    startedAt: new Date(),
    finishedAt: new Date(),
    summary: `marked done by the ${benchmark} benchmark`,
  })
  teardown.defer('forget the marked digest run', () => forgetDigestRuns(company.dataSource))

  const cwd = mkdtempSync(join(tmpdir(), `bench-${benchmark}-`))
  teardown.defer('remove the working folder', () => rmSync(cwd, { recursive: true, force: true }))
  const server = await startServerProcess({
    cwd,
    startTimeoutMs: 120_000,
    env: {
      PORT: '0',
      DATABASE_URL: company.url,
      WECOM_CORP_ID: 'wwbenchcompany01',
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'unused',
      WECOM_TOKEN: 'BenchToken',
      WECOM_AES_KEY: 'BenchmarkEncodingAESKey0123456789abcdefghij',
      // The calls measured never reach WeCom; nothing listens here.
      WECOM_API_BASE: 'http://127.0.0.1:9',
      SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
      SCRM_TIMEZONE: COMPANY_TIME_ZONE,
      LOG_LEVEL: 'warn',
    },
  })
  teardown.defer('stop the server', () => server.stop(12_000).then(() => undefined))
  return server
}

/** A GET over `agent` with a cookie: the whole answer. */
export function get(agent: Agent, port: number, path: string, cookie: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { cookie } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}
