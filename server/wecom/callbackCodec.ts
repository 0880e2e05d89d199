/**
 * WeCom's callback crypto (wecom-protocol.md §1): signature → decrypt → envelope.
 * Business code never sees ciphertext or XML: it gets a plaintext, then a typed event.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { decrypt, encrypt } from '@wecom/crypto'
import { parseXml, type XmlObject } from './xml'

export type CallbackProblem = 'signature' | 'base64' | 'ciphertext' | 'padding' | 'receiveid' | 'xml'

/** A refused callback; the route answers it as the error catalogue's `callback_<problem>` (401 for the signature, 400 otherwise). */
export class CallbackError extends Error {
  constructor(
    readonly problem: CallbackProblem,
    message: string,
  ) {
    super(message)
    this.name = 'CallbackError'
  }
}

export interface SignedQuery {
  msg_signature?: string
  timestamp?: string
  nonce?: string
}

export interface CallbackCodecOptions {
  token: string
  aesKey: string
  corpId: string
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const WHITESPACE = /\s/

/** The index of the first character at or after `from` that `\s` does not match. */
function skipWhitespace(text: string, from: number): number {
  let index = from
  while (index < text.length && WHITESPACE.test(text[index]!)) index++
  return index
}

/** Where the `<xml>` root may start: after an optional `<?xml …?>` prolog and whitespace; -1 for a broken prolog. */
function rootStart(document: string): number {
  if (!document.startsWith('<?xml')) return 0
  const end = document.indexOf('>', '<?xml'.length)
  return end > 0 && document[end - 1] === '?' ? skipWhitespace(document, end + 1) : -1
}

/**
 * The text of an Encrypt element whose content starts at `from`: whitespace, then CDATA
 * (without `]` or `<`) or plain text (without `<`), then whitespace and `</Encrypt>`.
 */
function encryptText(document: string, from: number): string | null {
  const start = skipWhitespace(document, from)
  const cdata = document.startsWith('<![CDATA[', start)
  const textStart = cdata ? start + '<![CDATA['.length : from
  const textEnd = document.indexOf(cdata ? ']' : '<', textStart)
  if (textEnd < 0 || (cdata && document.slice(textStart, textEnd).includes('<'))) return null
  if (cdata && !document.startsWith(']]>', textEnd)) return null
  const close = cdata ? skipWhitespace(document, textEnd + ']]>'.length) : textEnd
  return document.startsWith('</Encrypt>', close) ? document.slice(textStart, textEnd).trim() || null : null
}

/**
 * The Encrypt value of an envelope: an optional `<?xml …?>` prolog, an `<xml>` root, and
 * exactly one `<Encrypt>`, CDATA or plain text. This runs before the signature check on
 * whatever anyone sends, so it is a scan linear in the body, never a backtracking regex.
 * The other elements are unused and the signature covers Encrypt: no XML parse here.
 */
function envelopeEncrypt(body: string): string | null {
  // trim() removes exactly the characters `\s` matches.
  const document = body.trim()
  const root = rootStart(document)
  if (root < 0 || !document.startsWith('<xml>', root) || !document.endsWith('</xml>') || document.length < root + '<xml></xml>'.length) return null
  const open = document.indexOf('<Encrypt>', root)
  if (open < 0 || document.includes('<Encrypt>', open + 1)) return null
  return encryptText(document, open + '<Encrypt>'.length)
}
const AES_BLOCK_FOR_PADDING = 32

export function createCallbackCodec({ token, aesKey, corpId }: CallbackCodecOptions) {
  function verifySignature(query: SignedQuery, encrypted: string): void {
    const { msg_signature: signature, timestamp, nonce } = query
    if (!signature || timestamp === undefined || nonce === undefined) {
      throw new CallbackError('signature', 'msg_signature, timestamp and nonce are required')
    }
    const expected = createHash('sha1').update([token, timestamp, nonce, encrypted].sort().join('')).digest()
    const given = Buffer.from(signature, 'hex')
    // Compare in constant time; a wrong length cannot be equal, and says nothing secret.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new CallbackError('signature', 'msg_signature does not match')
    }
  }

  /**
   * Decrypts with @wecom/crypto, then re-encrypts with the recovered random: only a
   * canonical message (pad bytes 1..32 all equal, a length field inside the buffer,
   * valid UTF-8) comes back byte for byte. The library checks none of that itself.
   */
  function decryptMessage(encrypted: string): string {
    if (!STRICT_BASE64.test(encrypted)) throw new CallbackError('base64', 'Encrypt is not base64')
    if (Buffer.from(encrypted, 'base64').length % AES_BLOCK_FOR_PADDING !== 0) {
      throw new CallbackError('ciphertext', 'ciphertext length is not a multiple of 32 bytes')
    }
    let opened: { message: string; id: string; random: Buffer }
    try {
      opened = decrypt(aesKey, encrypted)
    } catch {
      throw new CallbackError('ciphertext', 'ciphertext does not decrypt')
    }
    if (encrypt(aesKey, opened.message, opened.id, opened.random) !== encrypted) {
      throw new CallbackError('padding', 'bad padding, length field or encoding in the decrypted message')
    }
    if (opened.id !== corpId) throw new CallbackError('receiveid', 'the message is for another CorpID')
    return opened.message
  }

  return {
    /** GET URL verification: the plaintext to answer, nothing else. */
    openUrlVerification(query: SignedQuery & { echostr?: string }): string {
      const echostr = query.echostr ?? ''
      verifySignature(query, echostr)
      return decryptMessage(echostr)
    },

    /** POST: the event inside a signed, encrypted envelope, as text and as parsed fields. */
    openEnvelope(query: SignedQuery, body: string): { plaintext: string; fields: XmlObject } {
      const encrypted = envelopeEncrypt(body)
      if (encrypted === null) throw new CallbackError('xml', 'the body is not an <xml> envelope with one <Encrypt>')
      verifySignature(query, encrypted)
      const plaintext = decryptMessage(encrypted)
      const fields = parseXml(plaintext)
      if (fields === null) throw new CallbackError('xml', 'the decrypted message is not XML')
      return { plaintext, fields }
    },
  }
}

export type CallbackCodec = ReturnType<typeof createCallbackCodec>
