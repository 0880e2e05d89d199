/**
 * The only reader of `process.env`. Every variable of SPEC §3.2 is declared here once,
 * with its default and a check; a bad value stops the start with a message naming it.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { parseEnv } from 'node:util'
import cron from 'node-cron'
import { z } from 'zod'

export type DatabaseConfig =
  | { kind: 'mysql'; url: string }
  | { kind: 'sqlite'; path: string }

export interface WecomConfig {
  corpId: string
  agentId: number
  secret: string
  token: string
  aesKey: string
  apiBase: string
  oauthBase: string
  /** Web login base (`/wwlogin/sso/login`), for the console opened in a PC browser. */
  loginBase: string
  robotKey: string | null
}

export interface Config {
  port: number
  /** The address to listen on (HOST): every IPv4 interface unless told otherwise. */
  host: string
  publicUrl: string
  database: DatabaseConfig
  /** Demo mode: no WECOM_CORP_ID, so the built-in simulator stands in for WeCom. */
  demo: boolean
  /** Null in demo mode until the simulator provides the credentials. */
  wecom: WecomConfig | null
  adminUserIds: string[]
  sessionSecret: string
  timezone: string
  digestCron: string
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** When set, GET /metrics needs `Authorization: Bearer <token>`; null leaves it open. */
  metricsToken: string | null
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    )
    this.name = 'ConfigError'
  }
}

const optional = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional()

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .transform((u) => u.replace(/\/+$/, ''))

const databaseUrl = z.string().transform((value, ctx): DatabaseConfig => {
  if (value.startsWith('mysql://')) {
    try {
      new URL(value)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a valid mysql:// URL' })
      return z.NEVER
    }
    return { kind: 'mysql', url: value }
  }
  if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length) {
    return { kind: 'sqlite', path: value.slice('sqlite:'.length) }
  }
  ctx.addIssue({
    code: 'custom',
    message: 'must be mysql://user:pass@host:port/db or sqlite:<path>',
  })
  return z.NEVER
})

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz })
      return true
    } catch {
      return false
    }
  },
  { message: 'is not an IANA time zone (e.g. Asia/Shanghai)' },
)

const schema = z.object({
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a port number')
    .min(0, 'must be a port number')
    .max(65535, 'must be a port number')
    .default(3000),
  // An address or a host name, without scheme or port: what listen() takes.
  HOST: z
    .string()
    .trim()
    .refine((host) => isIP(host) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host), {
      message: 'must be an IP address or a host name to listen on, e.g. 0.0.0.0 or 127.0.0.1',
    })
    .default('0.0.0.0'),
  PUBLIC_URL: httpUrl.optional(),
  DATABASE_URL: databaseUrl.default({ kind: 'sqlite', path: 'data/scrm.sqlite' }),
  WECOM_CORP_ID: optional,
  WECOM_AGENT_ID: z.coerce
    .number({ error: 'must be the numeric AgentId' })
    .int('must be the numeric AgentId')
    .positive('must be the numeric AgentId')
    .optional(),
  WECOM_SECRET: optional,
  WECOM_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1–32 letters or digits (the callback Token)')
    .optional(),
  WECOM_AES_KEY: z
    .string()
    .regex(/^[A-Za-z0-9]{43}$/, 'must be exactly 43 letters or digits (the EncodingAESKey)')
    .optional(),
  WECOM_API_BASE: httpUrl.default('https://qyapi.weixin.qq.com'),
  WECOM_OAUTH_BASE: httpUrl.default('https://open.weixin.qq.com'),
  WECOM_LOGIN_BASE: httpUrl.default('https://login.work.weixin.qq.com'),
  WECOM_ROBOT_KEY: optional,
  ADMIN_USERIDS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((id) => id.trim()).filter(Boolean)),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SCRM_TIMEZONE: timezone.default('Asia/Shanghai'),
  DIGEST_CRON: z
    .string()
    // Five fields, to the minute, as the same-day catch-up checks it: a seconds field could be missed.
    .refine((expr) => cron.validate(expr) && expr.trim().split(/\s+/).length === 5, {
      message: 'is not a five-field cron expression (minute hour day month weekday), e.g. 0 9 * * *',
    })
    .default('0 9 * * *'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  // Long enough not to be guessed; the value is never echoed in the error.
  METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
})

/** Every variable this module reads, in the order of SPEC §3.2. */
export const CONFIG_VARIABLES = Object.keys(schema.shape)

/** Variables that must be set together with WECOM_CORP_ID outside demo mode. */
const requiredOutsideDemo = [
  'WECOM_AGENT_ID',
  'WECOM_SECRET',
  'WECOM_TOKEN',
  'WECOM_AES_KEY',
  'SESSION_SECRET',
] as const

/** Reads `.env` from the working directory, if present; the real environment wins. */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  envFile = '.env',
): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {}
  return { ...fromFile, ...env }
}

/** Validates an environment into a Config; throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const known = Object.fromEntries(
    Object.keys(schema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  )
  const parsed = schema.safeParse(known)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '?'),
        message: issue.message,
      })),
    )
  }
  const v = parsed.data
  const demo = v.WECOM_CORP_ID === undefined
  if (!demo) {
    const missing = requiredOutsideDemo.filter((key) => v[key] === undefined)
    if (missing.length > 0) {
      throw new ConfigError(
        missing.map((variable) => ({
          variable,
          message: 'is required when WECOM_CORP_ID is set',
        })),
      )
    }
  }
  const port = v.PORT
  return Object.freeze({
    port,
    host: v.HOST,
    publicUrl: v.PUBLIC_URL ?? `http://localhost:${port}`,
    database: v.DATABASE_URL,
    demo,
    wecom: demo
      ? null
      : {
          corpId: v.WECOM_CORP_ID!,
          agentId: v.WECOM_AGENT_ID!,
          secret: v.WECOM_SECRET!,
          token: v.WECOM_TOKEN!,
          aesKey: v.WECOM_AES_KEY!,
          apiBase: v.WECOM_API_BASE,
          oauthBase: v.WECOM_OAUTH_BASE,
          loginBase: v.WECOM_LOGIN_BASE,
          robotKey: v.WECOM_ROBOT_KEY ?? null,
        },
    adminUserIds: v.ADMIN_USERIDS,
    // A demo run gets a fresh random secret: its sessions need not survive a restart.
    sessionSecret: v.SESSION_SECRET ?? randomBytes(32).toString('hex'),
    timezone: v.SCRM_TIMEZONE,
    digestCron: v.DIGEST_CRON,
    logLevel: v.LOG_LEVEL,
    metricsToken: v.METRICS_TOKEN ?? null,
  })
}

/** The configuration of this process: `.env` plus the environment, validated. */
export function loadConfig(): Config {
  return parseConfig(readEnvironment())
}

/** A database URL fit for a log line: the password replaced by ***. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `sqlite:${database.path}`
  const url = new URL(database.url)
  if (url.password) url.password = '***'
  return url.toString()
}
