import { createCipheriv } from 'node:crypto'
import { decrypt, encrypt, getSignature } from '@wecom/crypto'
import { describe, expect, it } from 'vitest'
import { cpuBudgetMs, cpuTimes } from '../../test/cpuTime'
import { hostileEnvelopes, hostilePlaintexts } from '../../test/hostileCallbacks'
import { CallbackError, createCallbackCodec } from './callbackCodec'
import { parseEvent } from './events'

// The official WXBizMsgCrypt vectors, wecom-protocol.md §1.7.
const TOKEN = 'QDG6eK'
const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C'
const CORP_ID = 'wx5823bf96d3bd56c7'
const codec = createCallbackCodec({ token: TOKEN, aesKey: AES_KEY, corpId: CORP_ID })

const VERIFY = {
  msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
}
const POST_QUERY = { msg_signature: '477715d11cdb4164915debcba66cb864d751f3e6', timestamp: '1409659813', nonce: '1372623149' }
const POST_ENCRYPT =
  'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=='
const POST_PLAINTEXT =
  '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>'
const envelope = (encrypted: string) =>
  `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`

function refusal(open: () => unknown): CallbackError {
  try {
    open()
  } catch (error) {
    expect(error).toBeInstanceOf(CallbackError)
    return error as CallbackError
  }
  throw new Error('expected the callback to be refused')
}

/** Encrypts raw plaintext bytes as WeCom would, but with padding we choose. */
function encryptRaw(plain: Buffer, padByte: number, padLength: number): string {
  const key = Buffer.from(`${AES_KEY}=`, 'base64')
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  const padded = Buffer.concat([plain, Buffer.alloc(padLength, padByte)])
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64')
}

function rawMessage(message: Buffer, id: string, lengthField = message.length): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(lengthField)
  return Buffer.concat([Buffer.from('0123456789abcdef'), length, message, Buffer.from(id)])
}

describe('callback codec, official vectors', () => {
  it('answers URL verification with exactly the decrypted echostr', () => {
    expect(codec.openUrlVerification(VERIFY)).toBe('1616140317555161061')
  })

  it('opens the POST vector to its 284-byte plaintext', () => {
    const { plaintext, fields } = codec.openEnvelope(POST_QUERY, envelope(POST_ENCRYPT))
    expect(plaintext).toBe(POST_PLAINTEXT)
    expect(fields).toMatchObject({ MsgType: 'text', Content: 'hello', MsgId: '4561255354251345929', AgentID: '218' })
    expect(Buffer.byteLength(plaintext)).toBe(284)
  })

  it('reproduces both ciphertexts and signatures byte for byte in the other direction', () => {
    expect(encrypt(AES_KEY, '1616140317555161061', CORP_ID, Buffer.from('c41b64491c2468d0'))).toBe(VERIFY.echostr)
    expect(encrypt(AES_KEY, POST_PLAINTEXT, CORP_ID, Buffer.from('0960688932c47ef1'))).toBe(POST_ENCRYPT)
    expect(getSignature(TOKEN, VERIFY.timestamp, VERIFY.nonce, VERIFY.echostr)).toBe(VERIFY.msg_signature)
    expect(getSignature(TOKEN, POST_QUERY.timestamp, POST_QUERY.nonce, POST_ENCRYPT)).toBe(POST_QUERY.msg_signature)
    expect(decrypt(AES_KEY, POST_ENCRYPT).random.toString()).toBe('0960688932c47ef1')
  })

  it('accepts an envelope with an XML declaration, or Encrypt without CDATA', () => {
    const bare = `<?xml version="1.0" encoding="UTF-8"?>\n<xml><ToUserName>${CORP_ID}</ToUserName><Encrypt>${POST_ENCRYPT}</Encrypt><AgentID></AgentID></xml>`
    expect(codec.openEnvelope(POST_QUERY, bare).plaintext).toBe(POST_PLAINTEXT)
  })

  it('opens the derived contact-event vector into a typed event', () => {
    const encrypted =
      'sKqRbbiSUnDhFHOvPjtUMQt4o93Z7RIw5jBB62MqEINhKaM9eMS5BYRP3YqfaOp4WaT0GPBltRR0d6Brb8l/KpYiGIMpzeVwh+7K8G46kDK+dHgPEuZ/WJz1/DSInCiNv9YJuEZkqHZ8otPbIbb+X354iMCha+E0HGKTBV43XPdgzLDDEtp/tLniVIEChMkf4/Z5U+kwLTmeCzV+3KX1Vkh+nkOJkz4F8ya2xO48rXJb/8q+UYaEfjW6gkEdJPHqFgMpORb3G6ZE2h969yBUEWH9Jkfzv2RfhqRWKKp1VBmyqtcKYGH+hfnnkAH8YLmD0rUYWYneBOjj3ez+/AxJSXpoJtIZKI9uB49li0eMeeaMiHp5hU374kqZ4hmY2LY1fsABN8blebydEzcNqtuz/OP6uFDFTApAGlW2taIJHNDKPt2bhSq2DLcpSoAL13AgJt07jev2Ey9BTn8I/PyGYpJfUHmI3DosV1jHwI1JdERiN/t0BdwnMb/+0hxPYfCRvRIUEeoRsxa9wXxYYLFZvjI1RFcaLkQED48oEn+yobJDBlrLTwsXht18ZWekVYQoSfe+jCK02P5JhCX1fXl/QN09YFV/CLBTCCNQ17JRyYU16IJxyA4p88sdeuG8gVtJI0kMq+ohHigYa3+61xTFBLlWI65NYRtTq1rssCDAt9Wzgdpa5ude/EG9NL/SLTiG65h10MiE2HmC3oTfyM8FJA=='
    const query = { msg_signature: '4fbbd9a0dee6641dc73dfd65fa4def5a6d5b2972', timestamp: '1403610513', nonce: '1372623149' }
    const event = parseEvent(codec.openEnvelope(query, envelope(encrypted)).plaintext)
    expect(event).toEqual({
      event: 'change_external_contact',
      changeType: 'add_external_contact',
      createTime: 1403610513,
      userId: 'zhangsan',
      externalUserId: 'woAJ2GCAAAXtWyujaWJHDDGi0mAAAA',
      state: 'teststate',
      welcomeCode: 'WELCOMECODE',
      source: undefined,
      failReason: undefined,
    })
  })
})

describe('callback codec, refused input', () => {
  const signed = (encrypted: string) => ({ ...POST_QUERY, msg_signature: getSignature(TOKEN, POST_QUERY.timestamp, POST_QUERY.nonce, encrypted) })

  it('refuses a wrong, missing or malformed signature with 401', () => {
    const wrong = refusal(() => codec.openEnvelope({ ...POST_QUERY, msg_signature: POST_QUERY.msg_signature.replace(/^4/, '5') }, envelope(POST_ENCRYPT)))
    expect(wrong.problem).toBe('signature')
    expect(refusal(() => codec.openEnvelope({ timestamp: '1', nonce: '2' }, envelope(POST_ENCRYPT))).problem).toBe('signature')
    expect(refusal(() => codec.openEnvelope({ ...POST_QUERY, msg_signature: 'zz' }, envelope(POST_ENCRYPT))).problem).toBe('signature')
    expect(refusal(() => codec.openUrlVerification({ ...VERIFY, nonce: '1' })).problem).toBe('signature')
  })

  it('refuses a body that is not an envelope', () => {
    const twice = `<xml><Encrypt>${POST_ENCRYPT}</Encrypt><Encrypt>${POST_ENCRYPT}</Encrypt></xml>`
    for (const body of ['', 'not xml', '<xml><Encrypt></Encrypt></xml>', '<xml><ToUserName>a</ToUserName>', '<!DOCTYPE x [<!ENTITY e "x">]><xml><Encrypt>&e;</Encrypt></xml>', twice]) {
      expect(refusal(() => codec.openEnvelope(POST_QUERY, body)).problem).toBe('xml')
    }
  })

  it('refuses ciphertext that is not strict base64, or not whole blocks', () => {
    expect(refusal(() => codec.openEnvelope(signed('@@@@'), envelope('@@@@'))).problem).toBe('base64')
    const short = Buffer.alloc(16).toString('base64')
    expect(refusal(() => codec.openEnvelope(signed(short), envelope(short))).problem).toBe('ciphertext')
  })

  it('refuses a pad byte outside 1..32, inconsistent pad bytes, and a length field past the buffer', () => {
    const message = Buffer.from('<xml><A>1</A></xml>')
    const body = rawMessage(message, CORP_ID)
    const fill = 32 - (body.length % 32)
    for (const [padByte, padLength] of [[0, fill], [fill + 32, fill + 32]] as const) {
      const encrypted = encryptRaw(body, padByte, padLength)
      expect(refusal(() => codec.openEnvelope(signed(encrypted), envelope(encrypted))).problem).toBe('padding')
    }
    const mixed = encryptRaw(Buffer.concat([body, Buffer.alloc(fill - 1, fill + 1)]), fill, 1)
    expect(refusal(() => codec.openEnvelope(signed(mixed), envelope(mixed))).problem).toBe('padding')
    const overlong = rawMessage(message, CORP_ID, 100_000)
    const encrypted = encryptRaw(overlong, 32 - (overlong.length % 32), 32 - (overlong.length % 32))
    expect(['padding', 'receiveid']).toContain(refusal(() => codec.openEnvelope(signed(encrypted), envelope(encrypted))).problem)
  })

  it('refuses a message for another CorpID', () => {
    const encrypted = encrypt(AES_KEY, '<xml><A>1</A></xml>', 'wwSomeoneElse')
    const error = refusal(() => codec.openEnvelope(signed(encrypted), envelope(encrypted)))
    expect(error.problem).toBe('receiveid')
  })

  it('refuses a decrypted message that is not XML', () => {
    const encrypted = encrypt(AES_KEY, 'hello, not xml', CORP_ID)
    expect(refusal(() => codec.openEnvelope(signed(encrypted), envelope(encrypted))).problem).toBe('xml')
  })
})

describe('callback codec, hostile input (issue 10)', () => {
  const signed = (encrypted: string) => ({ ...POST_QUERY, msg_signature: getSignature(TOKEN, POST_QUERY.timestamp, POST_QUERY.nonce, encrypted) })

  it('finds Encrypt in time linear in the body, for every shape that made the old regex backtrack', async () => {
    // The probe's 6 KB body held the event loop for over a minute; 1 MB is the route's limit.
    const bodies = Object.fromEntries(
      [6 * 1024, 64 * 1024, 1024 * 1024].flatMap((size) => Object.entries(hostileEnvelopes(size)).map(([shape, body]) => [`${shape} of ${size} chars`, body])),
    )
    const times = await cpuTimes('openEnvelope', bodies)
    for (const [name, body] of Object.entries(bodies)) expect(times[name], name).toBeLessThanOrEqual(cpuBudgetMs(Buffer.byteLength(body)))
  })

  it('refuses a signed message nested too deeply, or costly to parse, as xml: never a thrown error', () => {
    for (const plaintext of [hostilePlaintexts(1024).deepNesting, hostilePlaintexts(64 * 1024).deepNesting, hostilePlaintexts(4096).deepUnclosed]) {
      const encrypted = encrypt(AES_KEY, plaintext, CORP_ID)
      const error = refusal(() => codec.openEnvelope(signed(encrypted), envelope(encrypted)))
      expect(error.problem).toBe('xml')
    }
  })
})

describe('event parsing', () => {
  it('keeps values as strings whether CDATA or not, and types change_contact', () => {
    const event = parseEvent(
      '<xml><ToUserName><![CDATA[ww]]></ToUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event><ChangeType>update_user</ChangeType><UserID><![CDATA[0012]]></UserID><NewUserID>0013</NewUserID></xml>',
    )
    expect(event).toMatchObject({ event: 'change_contact', changeType: 'update_user', userId: '0012', newUserId: '0013', createTime: 1700000000 })
  })

  it('makes anything unexpected an unknown event rather than an error', () => {
    expect(parseEvent('<xml><MsgType>text</MsgType><Content>hi</Content></xml>')).toMatchObject({ event: 'unknown', name: 'text' })
    expect(parseEvent('<xml><Event>change_external_contact</Event><ChangeType>brand_new</ChangeType></xml>')).toMatchObject({ event: 'unknown', changeType: 'brand_new' })
    expect(parseEvent('<xml><Event>change_external_chat</Event><ChangeType>update</ChangeType><ChatId>wr1</ChatId><UpdateDetail>add_member</UpdateDetail><MemChangeList><Item>Jack</Item></MemChangeList></xml>')).toMatchObject({
      event: 'change_external_chat',
      chatId: 'wr1',
      updateDetail: 'add_member',
    })
  })
})
