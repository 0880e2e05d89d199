/**
 * Hostile input for WeCom's callback URL (issue 10): crafted envelopes that made the old
 * regex backtrack, XML plaintexts that are costly to parse, and fast-check generators of
 * near-envelopes, queries and plaintexts for the fuzz suite.
 */
import { encrypt, getSignature } from '@wecom/crypto'
import fc from 'fast-check'
import { hostileText } from './fuzzBodies'

/** Whitespace of every kind `\s` matches, in a cycle: a regex that backtracks on one backtracks on all. */
const whitespace = (length: number) => ' \t\r\n\u00a0\u3000'.repeat(Math.ceil(length / 6)).slice(0, length)

/** Whole `unit`s repeated between `before` and `after`, to about `size` characters in all. */
function filled(before: string, unit: string, after: string, size: number): string {
  const room = Math.max(0, size - before.length - after.length)
  return before + unit.repeat(Math.floor(room / unit.length)) + after
}

/**
 * Envelope bodies of about `size` characters, each a shape that made some step before the
 * signature check super-linear, or could: the probe's `<Encrypt>` and whitespace without a
 * close tag first.
 */
export function hostileEnvelopes(size: number) {
  return {
    encryptThenWhitespace: filled('<xml><Encrypt>', whitespace(6), '</xml>', size),
    encryptsThenWhitespace: filled('<xml>', `<Encrypt>${whitespace(500)}`, '</xml>', size),
    cdataWithoutClose: filled(`<xml><Encrypt>${whitespace(8)}<![CDATA[`, `AAAA${whitespace(4)}`, '</xml>', size),
    cdataThenWhitespace: filled('<xml><Encrypt><![CDATA[AAAA]]>', whitespace(6), '</xml>', size),
    encryptOpens: filled('<xml>', '<Encrypt>', '</xml>', size),
    prologWithoutEnd: filled('<?xml', '?', '<xml><Encrypt>AAAA</Encrypt></xml>', size),
    rootClosers: filled('<xml>', `</xml>${whitespace(4)}`, 'x', size),
    leadingWhitespace: filled('', whitespace(6), '<', size),
    ciphertextWithoutClose: filled('<xml><Encrypt>', 'A', '</xml>', size),
  }
}

/** `part(0)`, `part(1)` … joined by `separator`, while they fit in `size` characters. */
function numbered(part: (i: number) => string, size: number, separator = ''): string {
  const parts: string[] = []
  for (let length = 0, i = 0; length + part(i).length <= size; length += part(i).length + separator.length, i++) parts.push(part(i))
  return parts.join(separator)
}

/** Repeated `unit` until `size`, inside `<xml>…</xml>`. */
const xmlFilled = (unit: string, size: number, before = '', after = '') => filled(`<xml>${before}`, unit, `${after}</xml>`, size)

/**
 * Signed-plaintext shapes of about `size` characters that are costly to parse: deep nesting,
 * attributes, siblings, long text, and long-named ancestors over many children (whose path
 * a parser may rebuild for every child).
 */
export function hostilePlaintexts(size: number) {
  const depth = Math.floor(size / 7)
  const ancestors = Array.from({ length: 20 }, (_, i) => `n${i}`.padEnd(Math.floor(size / 80), 'n'))
  const opened = ancestors.map((name) => `<${name}>`).join('')
  const closed = [...ancestors].reverse().map((name) => `</${name}>`).join('')
  return {
    deepNesting: `<xml>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</xml>`,
    deepUnclosed: xmlFilled('<a>', size),
    manyAttributes: filled('<xml><a ', 'b="1" ', '/></xml>', size),
    distinctAttributes: `<xml><a ${numbered((i) => `b${i}="1"`, size - 14, ' ')}/></xml>`,
    manySiblings: xmlFilled('<a>1</a>', size),
    distinctSiblings: `<xml>${numbered((i) => `<a${i}>1</a${i}>`, size - 11)}</xml>`,
    repeatedItems: xmlFilled('<Item><A>1</A></Item>', size, '<MemChangeList>', '</MemChangeList>'),
    longText: xmlFilled('x', size, '<Content>', '</Content>'),
    longCdata: xmlFilled(']', size, '<Content><![CDATA[', ']]></Content>'),
    entities: xmlFilled('&amp;', size, '<Content>', '</Content>'),
    longNamedAncestors: xmlFilled('<a/>', size, opened, closed),
  }
}

export interface Credentials {
  token: string
  aesKey: string
  corpId: string
}

export interface CallbackRequest {
  /** The raw query string, without `?`: it may repeat or mangle parameters. */
  query: string
  body: string
}

const SIGNED_AT = { timestamp: '1795400000', nonce: '42' }

/** The query string that signs `encrypted`, as WeCom would send it. */
export function signedQuery({ token }: Credentials, encrypted: string): string {
  const msg_signature = getSignature(token, SIGNED_AT.timestamp, SIGNED_AT.nonce, encrypted)
  return new URLSearchParams({ msg_signature, ...SIGNED_AT }).toString()
}

/** A POST WeCom would send: `plaintext` encrypted for our CorpID, in a plain envelope, signed. */
export function signedCallback(credentials: Credentials, plaintext: string): CallbackRequest {
  const encrypted = encrypt(credentials.aesKey, plaintext, credentials.corpId)
  return { query: signedQuery(credentials, encrypted), body: `<xml><ToUserName><![CDATA[${credentials.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>` }
}

const runOf = (text: string, max: number) => fc.integer({ min: 0, max }).map((n) => text.repeat(n))

/** Whitespace runs, mostly short, sometimes long enough to expose backtracking. */
export const whitespaceRun = (max: number): fc.Arbitrary<string> =>
  fc.oneof({ weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(' ', '\t', '\r', '\n', '\u00a0', '\ufeff', '\u2028'), maxLength: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max }).map(whitespace) })

/** The pieces envelopes are made of, and pieces of pieces: near-misses of every delimiter. */
const envelopePiece = (maxWhitespace: number, ciphertext: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom('<xml>', '</xml>', '<Encrypt>', '</Encrypt>', '<![CDATA[', ']]>', '<?xml version="1.0" encoding="UTF-8"?>', '<?xml', '?>', '<ToUserName>', '</ToUserName>'),
    fc.constantFrom('<', '>', '/', '?', ']', '[', '!', '=', '"', '<encrypt>', '<Encrypt >', '<XML>', '<xml/>', '<!DOCTYPE x [<!ENTITY e "x">]>', '&e;', '<!--', '-->', '\u0000'),
    fc.constantFrom(ciphertext, ciphertext.slice(0, 17), `${ciphertext}=`, 'AAAA', '===='),
    whitespaceRun(maxWhitespace),
    hostileText(12),
  )

/**
 * Bodies built from envelope pieces around a real ciphertext: some well-formed, most near
 * misses (repeated or missing tags, stray whitespace, a broken prolog or CDATA).
 */
export const nearEnvelope = (ciphertext: string, { maxWhitespace = 2_000, maxPieces = 24 } = {}): fc.Arbitrary<string> =>
  fc.oneof(
    fc.array(envelopePiece(maxWhitespace, ciphertext), { maxLength: maxPieces }).map((pieces) => pieces.join('')),
    fc
      .record({
        lead: whitespaceRun(maxWhitespace),
        prolog: fc.constantFrom('', '<?xml version="1.0"?>', '<?xml?>', '<?xml>', '<?xml ?', '<?xml encoding="?>"?>'),
        before: fc.array(envelopePiece(16, ciphertext), { maxLength: 3 }).map((pieces) => pieces.join('')),
        gaps: fc.array(whitespaceRun(maxWhitespace), { minLength: 5, maxLength: 5 }),
        cdata: fc.boolean(),
        close: fc.constantFrom('</Encrypt>', '</Encrypt >', '', '</encrypt>'),
        after: fc.array(envelopePiece(16, ciphertext), { maxLength: 3 }).map((pieces) => pieces.join('')),
        trail: whitespaceRun(maxWhitespace),
      })
      .map(({ lead, prolog, before, gaps: [a, b, c, d, e], cdata, close, after, trail }) => {
        const value = cdata ? `${b}<![CDATA[${c}${ciphertext}${d}]]>${e}` : `${b}${ciphertext}${e}`
        return `${lead}${prolog}${a}<xml>${before}<Encrypt>${value}${close}${after}</xml>${trail}`
      }),
  )

/** Query strings of every shape: missing, repeated, mangled or oversized parameters, or `signed` itself. */
export const hostileQuery = (signed: string): fc.Arbitrary<string> => {
  const name = fc.constantFrom('msg_signature', 'timestamp', 'nonce', 'echostr', 'msg_signature[]', 'MSG_SIGNATURE', '', '__proto__', 'constructor')
  const value = fc.oneof(
    // Through UTF-8 first: encodeURIComponent throws on a lone surrogate.
    hostileText(40).map((text) => encodeURIComponent(Buffer.from(text).toString())),
    fc.constantFrom('', '%', '%zz', '%E0%A4%A', '%00', '0'.repeat(40), 'z'.repeat(40), '+', '%2B'),
    fc.integer({ min: 1, max: 4_000 }).map((n) => 'f'.repeat(n)),
    runOf('%20', 1_000),
  )
  const mangled = fc.array(fc.tuple(name, value), { maxLength: 8 }).map((pairs) => pairs.map(([key, val]) => `${key}=${val}`).join('&'))
  return fc.oneof(mangled, fc.constant(signed), mangled.map((extra) => `${signed}&${extra}`), mangled.map((extra) => `${extra}&${signed}`))
}

const tagName = fc.constantFrom('Event', 'ChangeType', 'UserID', 'ExternalUserID', 'CreateTime', 'MsgType', 'Item', 'MemChangeList', 'ExtAttr', 'a', 'b:c', 'toString', 'hasOwnProperty')
/** Names the parser refuses outright (prototype pollution), and so must we. */
const reservedName = fc.constantFrom('__proto__', 'constructor', 'prototype')
const xmlText = fc.oneof(
  hostileText(30).map((text) => text.replace(/[<&]|]]>/g, '')),
  hostileText(30).map((text) => `<![CDATA[${text.replaceAll(']]>', '')}]]>`),
  fc.constantFrom('', '0012', '4561255354251345929', '&amp;', '&lt;&gt;', '&#x1F600;', 'change_external_contact', 'add_external_contact'),
)

/** A well-formed XML element tree, up to `maxDepth` deep, as text. */
const xmlTree = (maxDepth: number): fc.Arbitrary<string> =>
  fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', maxDepth },
      fc.tuple(tagName, xmlText).map(([name, text]) => `<${name}>${text}</${name}>`),
      fc.tuple(tagName, fc.array(tie('node'), { maxLength: 4 })).map(([name, children]) => `<${name}>${children.join('')}</${name}>`),
    ),
  })).node

/** Well-formed `<xml>` documents such as WeCom could send, with CDATA, entities and odd names. */
export const wellFormedPlaintext: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>\n'), fc.array(xmlTree(6), { maxLength: 8 }), whitespaceRun(4))
  .map(([prolog, children, gap]) => `${prolog}<xml>${children.join(gap)}</xml>`)

/** Plaintexts that are not a well-formed `<xml>` document, or are costly to parse. */
export const hostilePlaintext: fc.Arbitrary<string> = fc.oneof(
  hostileText(200),
  fc.tuple(reservedName, xmlTree(2)).map(([name, tree]) => `<xml>${tree}<${name}>1</${name}></xml>`),
  fc.array(fc.oneof(tagName.map((name) => `<${name}>`), tagName.map((name) => `</${name}>`), xmlText, fc.constantFrom('<xml>', '</xml>', '<', '>', '<!DOCTYPE xml>', '<!ENTITY e "e">', '&e;', '<!--', ']]>', '<![CDATA[')), { maxLength: 30 }).map((parts) => parts.join('')),
  fc.tuple(fc.integer({ min: 1, max: 400 }), tagName).map(([depth, name]) => `<xml>${`<${name}>`.repeat(depth)}x${`</${name}>`.repeat(depth)}</xml>`),
  fc.tuple(fc.integer({ min: 1, max: 64 * 1024 }), fc.constantFrom(...(Object.keys(hostilePlaintexts(0)) as (keyof ReturnType<typeof hostilePlaintexts>)[]))).map(([size, shape]) => hostilePlaintexts(size)[shape]),
)
