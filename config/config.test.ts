import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_VARIABLES, ConfigError, describeDatabase, parseConfig, readEnvironment } from '.'
import { REPO_ROOT } from '../test/processes'

const production = {
  WECOM_CORP_ID: 'ww0123456789abcdef',
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 'app-secret',
  WECOM_TOKEN: 'QDG6eK',
  WECOM_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  SESSION_SECRET: 'x'.repeat(32),
  DATABASE_URL: 'mysql://scrm:pw@db.internal:3306/scrm',
}

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    parseConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('configuration', () => {
  it('runs the demo on embedded SQLite when nothing is configured', () => {
    const config = parseConfig({})
    expect(config.demo).toBe(true)
    expect(config.wecom).toBeNull()
    expect(config.database).toEqual({ kind: 'sqlite', path: 'data/scrm.sqlite' })
    expect(config.port).toBe(3000)
    expect(config.publicUrl).toBe('http://localhost:3000')
    expect(config.timezone).toBe('Asia/Shanghai')
    expect(config.digestCron).toBe('0 9 * * *')
    expect(config.sessionSecret).toMatch(/^[0-9a-f]{64}$/)
    expect(parseConfig({}).sessionSecret).not.toBe(config.sessionSecret)
  })

  it('reads a full production configuration', () => {
    const config = parseConfig({ ...production, PORT: '8080', ADMIN_USERIDS: ' alice, bob ,', WECOM_API_BASE: 'http://proxy:9000/' })
    expect(config.demo).toBe(false)
    expect(config.database).toEqual({ kind: 'mysql', url: production.DATABASE_URL })
    expect(config.wecom).toMatchObject({ corpId: production.WECOM_CORP_ID, agentId: 1000002, apiBase: 'http://proxy:9000' })
    expect(config.adminUserIds).toEqual(['alice', 'bob'])
    expect(config.publicUrl).toBe('http://localhost:8080')
  })

  it('points web login at WeCom unless WECOM_LOGIN_BASE says otherwise', () => {
    expect(parseConfig(production).wecom!.loginBase).toBe('https://login.work.weixin.qq.com')
    expect(parseConfig({ ...production, WECOM_LOGIN_BASE: 'http://login-proxy:9000/' }).wecom!.loginBase).toBe('http://login-proxy:9000')
  })

  it.each([
    ['DATABASE_URL', 'postgres://localhost/db', 'must be mysql://'],
    ['DATABASE_URL', 'sqlite:', 'must be mysql://'],
    ['PORT', 'eighty', 'must be a port number'],
    ['PORT', '70000', 'must be a port number'],
    ['PUBLIC_URL', 'ftp://example.com', 'http:// or https://'],
    ['WECOM_LOGIN_BASE', 'login.work.weixin.qq.com', 'http:// or https://'],
    ['SCRM_TIMEZONE', 'Mars/Olympus', 'IANA time zone'],
    ['DIGEST_CRON', 'every morning', 'cron'],
    ['DIGEST_CRON', '30 0 9 * * *', 'five-field'],
    ['LOG_LEVEL', 'loud', 'must be one of'],
    ['WECOM_AES_KEY', 'short', '43'],
    ['WECOM_AGENT_ID', 'abc', 'AgentId'],
  ])('names %s when it is %j', (variable, value, message) => {
    const problems = problemsOf({ [variable]: value })
    expect(problems).toHaveLength(1)
    expect(problems[0]!.variable).toBe(variable)
    expect(problems[0]!.message).toContain(message)
  })

  it('names every variable WeCom mode still needs', () => {
    const problems = problemsOf({ WECOM_CORP_ID: 'ww0123456789abcdef' })
    expect(problems.map((p) => p.variable)).toEqual(['WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_AES_KEY', 'SESSION_SECRET'])
    expect(String(new ConfigError(problems).message)).toContain('SESSION_SECRET: is required when WECOM_CORP_ID is set')
  })

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ WECOM_CORP_ID: '', PORT: '' }).demo).toBe(true)
  })

  it('reads .env, and the real environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrm-env-'))
    const file = join(dir, '.env')
    writeFileSync(file, 'PORT=4000\nLOG_LEVEL=debug\n# a comment\nSCRM_TIMEZONE="Asia/Tokyo"\n')
    const config = parseConfig(readEnvironment({ LOG_LEVEL: 'warn' }, file))
    expect(config.port).toBe(4000)
    expect(config.logLevel).toBe('warn')
    expect(config.timezone).toBe('Asia/Tokyo')
    expect(parseConfig(readEnvironment({}, join(dir, 'missing.env'))).port).toBe(3000)
  })

  it('never shows a database password', () => {
    expect(describeDatabase({ kind: 'mysql', url: 'mysql://scrm:s3cret@db:3306/scrm' })).toBe('mysql://scrm:***@db:3306/scrm')
    expect(describeDatabase({ kind: 'sqlite', path: 'data/x.sqlite' })).toBe('sqlite:data/x.sqlite')
  })

  it('does not echo a secret value in its error message', () => {
    const problems = problemsOf({ ...production, WECOM_AES_KEY: 'TopSecretButTooShort' })
    expect(JSON.stringify(problems)).not.toContain('TopSecretButTooShort')
  })

  it('listens on every interface unless HOST names one, and checks it', () => {
    expect(parseConfig({}).host).toBe('0.0.0.0')
    expect(parseConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1')
    expect(parseConfig({ HOST: '::1' }).host).toBe('::1')
    expect(parseConfig({ HOST: 'scrm-internal.local' }).host).toBe('scrm-internal.local')
    for (const bad of ['http://127.0.0.1', '127.0.0.1:3000', 'two words']) {
      expect(problemsOf({ HOST: bad }).map((p) => p.variable)).toEqual(['HOST'])
    }
  })

  it('leaves /metrics open without METRICS_TOKEN, and wants a long one when set', () => {
    expect(parseConfig({}).metricsToken).toBeNull()
    expect(parseConfig({ METRICS_TOKEN: 'm'.repeat(24) }).metricsToken).toBe('m'.repeat(24))
    const problems = problemsOf({ METRICS_TOKEN: 'short-secret' })
    expect(problems.map((p) => p.variable)).toEqual(['METRICS_TOKEN'])
    expect(JSON.stringify(problems)).not.toContain('short-secret')
  })

  it('.env.example documents every variable and, copied as is, starts the demo', () => {
    const example = join(REPO_ROOT, '.env.example')
    const documented = [...readFileSync(example, 'utf8').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1])
    expect(documented).toEqual(CONFIG_VARIABLES)
    expect(parseConfig(readEnvironment({}, example)).demo).toBe(true)
  })
})
