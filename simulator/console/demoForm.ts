import type { Context } from 'koa'
import getRawBody from 'raw-body'

/**
 * Reading the demo page's form posts: a same-origin check, a bounded urlencoded body, and
 * fields validated with messages a visitor can act on (in Chinese, like the page).
 */

/** Far above any form on the page, far below anything that could hurt. */
export const FORM_BODY_LIMIT_BYTES = 16 * 1024

/** A field the visitor left out or filled in wrongly; its message is shown on the page. */
export class FormProblem extends Error {
  override name = 'FormProblem'
}

/** Why a post body could not be read, with the HTTP status that says so. */
export class UnreadableForm extends Error {
  constructor(
    readonly status: 413 | 415 | 400,
    message: string,
  ) {
    super(message)
  }
}

/**
 * A minimal CSRF guard: browsers send Origin on cross-site POSTs, so one that is present and
 * not ours means another site is submitting the form. No Origin (curl, old browsers) passes.
 */
export function isForeignOrigin(ctx: Context): boolean {
  const origin = ctx.get('Origin')
  // Not ctx.origin: since Koa 3 that is the Origin header itself, so it would always match.
  return origin !== '' && origin !== `${ctx.protocol}://${ctx.host}`
}

/** The urlencoded body, read with FORM_BODY_LIMIT_BYTES; an app in front of us may have parsed it already. */
export async function readForm(ctx: Context): Promise<FormFields> {
  const preParsed = (ctx.request as { body?: unknown }).body
  if (typeof preParsed === 'object' && preParsed !== null) {
    const params = new URLSearchParams()
    for (const [name, value] of Object.entries(preParsed)) if (typeof value === 'string') params.append(name, value)
    return new FormFields(params)
  }
  if (!ctx.is('application/x-www-form-urlencoded')) throw new UnreadableForm(415, '只接受表单提交 (application/x-www-form-urlencoded)。')
  let text: string
  try {
    text = await getRawBody(ctx.req, { limit: FORM_BODY_LIMIT_BYTES, length: ctx.get('Content-Length') || undefined, encoding: 'utf-8' })
  } catch (error) {
    const tooLarge = (error as { type?: unknown }).type === 'entity.too.large'
    throw tooLarge ? new UnreadableForm(413, `表单内容过大（上限 ${FORM_BODY_LIMIT_BYTES / 1024} KB）。`) : new UnreadableForm(400, '表单内容无法读取。')
  }
  return new FormFields(new URLSearchParams(text))
}

/** Named fields of one form post; every getter trims and checks length in characters, not bytes. */
export class FormFields {
  constructor(private readonly params: URLSearchParams) {}

  /** The trimmed value, '' when absent or blank. */
  optional(name: string, label: string, maxChars: number): string {
    const value = (this.params.get(name) ?? '').trim()
    if ([...value].length > maxChars) throw new FormProblem(`${label}不能超过 ${maxChars} 个字符。`)
    return value
  }

  /** The trimmed value; a FormProblem when it is missing. */
  required(name: string, label: string, maxChars: number): string {
    const value = this.optional(name, label, maxChars)
    if (value === '') throw new FormProblem(`请填写${label}。`)
    return value
  }
}
