import { encrypt, getSignature } from '@wecom/crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fuzzRuns } from '../../test/fuzzBodies'
import { nearEnvelope, wellFormedPlaintext, hostilePlaintext } from '../../test/hostileCallbacks'
import { CallbackError, createCallbackCodec, type SignedQuery } from './callbackCodec'
import { parseXml } from './xml'

const CREDENTIALS = { token: 'QDG6eK', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' }
const codec = createCallbackCodec(CREDENTIALS)
const PLAINTEXT = '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Event><![CDATA[change_external_contact]]></Event></xml>'
const CIPHERTEXT = encrypt(CREDENTIALS.aesKey, PLAINTEXT, CREDENTIALS.corpId)

const signedFor = (encrypted: string): SignedQuery => ({ timestamp: '1795400000', nonce: '42', msg_signature: getSignature(CREDENTIALS.token, '1795400000', '42', encrypted) })

/**
 * The envelope forms accepted before issue 10, as the regexes that defined them: the
 * reference on bodies small enough for their backtracking. One difference is intended: a
 * second `<Encrypt>` that was not a well-formed element used to be skipped; it now refuses the body.
 */
function previousEnvelopeEncrypt(body: string): string | null {
  if (!/^\s*(?:<\?xml[^>]*\?>\s*)?<xml>[\s\S]*<\/xml>\s*$/.test(body)) return null
  if (body.split('<Encrypt>').length !== 2) return null
  const matches = [...body.matchAll(/<Encrypt>\s*(?:<!\[CDATA\[([^\]<]*)\]\]>|([^<]*))\s*<\/Encrypt>/g)]
  if (matches.length !== 1) return null
  return (matches[0]![1] ?? matches[0]![2] ?? '').trim() || null
}

/** What the codec made of a request: its refusal's problem, or 'opened'. */
function outcome(open: () => unknown): string {
  try {
    open()
    return 'opened'
  } catch (error) {
    if (error instanceof CallbackError) return error.problem
    throw error
  }
}

describe('callback codec under fuzzing', () => {
  it('takes exactly the envelopes the previous regexes took, and signs over the same Encrypt value', () => {
    // Short whitespace runs: the reference itself backtracks cubically on long ones.
    const body = nearEnvelope(CIPHERTEXT, { maxWhitespace: 24, maxPieces: 12 })
    fc.assert(
      fc.property(body, (text) => {
        const expected = previousEnvelopeEncrypt(text)
        const result = outcome(() => codec.openEnvelope(signedFor(expected ?? 'nothing'), text))
        if (expected === null) expect(result).toBe('xml')
        else if (expected === CIPHERTEXT) expect(result).toBe('opened')
        else expect(['base64', 'ciphertext', 'padding', 'receiveid']).toContain(result)
      }),
      fuzzRuns(3_000),
    )
  })

  it('opens every signed well-formed plaintext, and refuses anything else as xml, never throwing otherwise', () => {
    fc.assert(
      fc.property(fc.oneof(wellFormedPlaintext, hostilePlaintext), (plaintext) => {
        const encrypted = encrypt(CREDENTIALS.aesKey, plaintext, CREDENTIALS.corpId)
        const result = outcome(() => codec.openEnvelope(signedFor(encrypted), `<xml><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`))
        expect(result).toBe(parseXml(plaintext) === null ? 'xml' : 'opened')
      }),
      fuzzRuns(300),
    )
    fc.assert(
      fc.property(wellFormedPlaintext, (plaintext) => {
        expect(parseXml(plaintext)).not.toBeNull()
      }),
      fuzzRuns(300),
    )
  })
})
