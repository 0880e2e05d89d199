/**
 * A small multipart/form-data reader (RFC 7578) for media/upload, the one WeCom API that takes
 * a file. It reads the parts of a body already in memory: their names, file names, types and
 * bytes; nothing is streamed, and nested multiparts are not a thing form-data has.
 */

export interface FormPart {
  name: string
  filename?: string
  contentType?: string
  data: Buffer
}

const CRLF = Buffer.from('\r\n')
const HEADERS_END = Buffer.from('\r\n\r\n')
const CLOSE = Buffer.from('--')

/** The boundary of a multipart/form-data Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  return match?.[1] ?? match?.[2]
}

/** The parts of a form-data body, in order; undefined when the body is not framed by the boundary. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`)
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`)
  // The first delimiter may follow a preamble; every later one starts on a new line.
  let at = body.indexOf(delimiter)
  if (at < 0) return undefined
  const parts: FormPart[] = []
  for (;;) {
    let cursor = at + delimiter.length
    if (body.subarray(cursor, cursor + 2).equals(CLOSE)) return parts
    cursor = skipLinearWhitespace(body, cursor)
    if (!body.subarray(cursor, cursor + 2).equals(CRLF)) return undefined
    cursor += 2
    // A part without headers has its blank line right after the delimiter's CRLF.
    const headersEnd = body.indexOf(HEADERS_END, cursor - 2)
    if (headersEnd < 0) return undefined
    const end = body.indexOf(nextDelimiter, headersEnd + HEADERS_END.length)
    if (end < 0) return undefined
    const part = readPart(body.subarray(cursor, Math.max(cursor, headersEnd)).toString('utf8'), body.subarray(headersEnd + HEADERS_END.length, end))
    if (!part) return undefined
    parts.push(part)
    at = end + 2
  }
}

function readPart(headerText: string, data: Buffer): FormPart | undefined {
  const headers = new Map<string, string>()
  for (const line of headerText.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  const disposition = headers.get('content-disposition')
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) return undefined
  const params = dispositionParams(disposition)
  const name = params.get('name')
  if (name === undefined) return undefined
  const filename = params.get('filename')
  const contentType = headers.get('content-type')
  return { name, data, ...(filename !== undefined ? { filename } : {}), ...(contentType !== undefined ? { contentType } : {}) }
}

/** `name="media"; filename="a b.png"; filelength=6` (WeCom's sample has no space after a `;`). */
function dispositionParams(disposition: string): Map<string, string> {
  const params = new Map<string, string>()
  for (const match of disposition.matchAll(/;\s*([\w!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g)) {
    params.set(match[1]!.toLowerCase(), match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!)
  }
  return params
}

/** RFC 2046 allows spaces and tabs after a boundary, before its line break. */
function skipLinearWhitespace(body: Buffer, cursor: number): number {
  while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor++
  return cursor
}
