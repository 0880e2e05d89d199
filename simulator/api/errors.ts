/**
 * WeCom's error answers. WeCom always answers HTTP 200 with `{errcode, errmsg}`; the errmsg
 * carries a suffix (`, hint: [...], from ip: ..., more info at ...`) that clients must not
 * parse, so we imitate it to keep them honest.
 */

/**
 * The errmsg WeCom gives for each code we answer with: seen in real responses where we could,
 * else the official errcode table's description (doc 90313) in English.
 */
export const ERRMSG: Record<number, string> = {
  [-1]: 'system busy',
  40001: 'invalid secret',
  40003: 'invalid userid',
  40004: 'invalid media type',
  40005: 'invalid file type',
  40006: 'invalid file size',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40009: 'invalid image size',
  40011: 'invalid video size',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40029: 'invalid code',
  40056: 'invalid agentid',
  40058: 'invalid Request Parameter',
  40068: 'invalid tagid',
  40071: 'invalid tag name',
  40096: 'invalid external userid',
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'corpsecret missing',
  41008: 'missing code',
  41009: 'missing userid',
  41010: 'missing url',
  41016: 'missing title',
  41033: 'missing description',
  41037: 'missing contact way type',
  41038: 'missing contact way scene',
  41039: 'invalid contact way type',
  41040: 'invalid contact way scene',
  41041: 'contact way user limit exceeded',
  41042: 'invalid contact way style',
  41043: 'missing contact way config_id',
  41044: 'invalid contact way config_id',
  41045: 'contact way count limit exceeded',
  41049: 'missing welcome msg code',
  41050: 'invalid welcome msg code',
  41051: 'externaluser has started chatting',
  // The text is not documented [U]; the meaning is (doc 92137).
  41053: 'external contact has not agreed to the chat-archive notice',
  41054: 'user not active',
  41064: 'attachment count exceed limit',
  41065: 'invalid attachment type',
  41096: 'welcome msg is sending',
  42001: 'access_token expired',
  44001: 'empty media data',
  44004: 'empty content',
  45002: 'content size out of limit',
  45009: 'api freq out of limit',
  47001: 'data format error',
  48002: 'api forbidden',
  60111: 'userid not found',
  60123: 'invalid party id',
  81013: 'user & party & tag all invalid',
  82001: 'all touser & toparty & totag invalid',
  84061: 'not external contact',
  84074: 'no external contact permission',
  93000: 'invalid webhook url',
}

/** A refusal by the simulated WeCom; the API layer turns it into the 200 JSON answer. */
export class WecomSimError extends Error {
  constructor(
    readonly errcode: number,
    /** Replaces the generic errmsg, e.g. ``invalid string value `x`. userid not found`` */
    readonly detail?: string,
    /** Extra fields WeCom sends along with some errors, e.g. `follow_user: []` with 84061. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? ERRMSG[errcode] ?? `errcode ${errcode}`)
    this.name = 'WecomSimError'
  }
}

/** Shorthand for throwing from a handler. */
export function refuse(errcode: number, detail?: string, extra?: Record<string, unknown>): never {
  throw new WecomSimError(errcode, detail, extra)
}

let hintCounter = 0

/** errmsg with WeCom's suffix: `<message>, hint: [<id>], from ip: <ip>, more info at <url>`. */
export function formatErrmsg(errcode: number, message: string, ip: string, nowMs: number): string {
  hintCounter = (hintCounter + 1) % 1_000_000
  const hint = `${Math.floor(nowMs / 1000)}${String(hintCounter).padStart(6, '0')}${Math.floor(Math.random() * 1e9)}`
  return `${message}, hint: [${hint}], from ip: ${ip}, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`
}

/** The full JSON body of an error answer. */
export function errorBody(error: WecomSimError, ip: string, nowMs: number): Record<string, unknown> {
  return { errcode: error.errcode, errmsg: formatErrmsg(error.errcode, error.message, ip, nowMs), ...error.extra }
}
