import pino, { type DestinationStream, type Logger } from 'pino'

export type { Logger }

/** Query parameters whose values are secrets wherever they appear in a URL. */
const SECRET_QUERY_PARAMS = ['access_token', 'corpsecret', 'code', 'key', 'echostr', 'ticket', 'state']

/** A URL fit for a log line: secret query values replaced by ***. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?')
  if (queryStart < 0) return url
  const params = new URLSearchParams(url.slice(queryStart + 1))
  for (const name of SECRET_QUERY_PARAMS) {
    if (params.has(name)) params.set(name, '***')
  }
  return `${url.slice(0, queryStart)}?${params.toString().replaceAll('%2A', '*')}`
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      // Belt and braces: any of these keys is masked wherever it is logged.
      redact: {
        paths: [
          'headers.cookie',
          'headers.authorization',
          'headers["set-cookie"]',
          '*.secret',
          '*.token',
          '*.accessToken',
          '*.access_token',
          '*.ticket',
          '*.aesKey',
          '*.sessionSecret',
          '*.password',
        ],
        censor: '***',
      },
    },
    destination,
  )
}
