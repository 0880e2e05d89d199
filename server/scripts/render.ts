import type { RenderedScript } from '../api/contract'

/** The variables of SPEC §4.3, by the name written between {{ and }}. */
export const SCRIPT_VARIABLES = ['客户称呼', '客户昵称', '导购姓名', '最近购买', '订单状态', '累计消费'] as const
export type ScriptVariable = (typeof SCRIPT_VARIABLES)[number]

export type ScriptValues = Partial<Record<ScriptVariable, string | null>>


const PLACEHOLDER = /\{\{\s*([^{}]{1,20}?)\s*\}\}/g

/**
 * Fills a script for one customer. Values are plain text: nothing in a nickname or a
 * script is ever interpreted, and a value cannot introduce a new placeholder (single pass).
 */
export function renderScript(content: string, values: ScriptValues): RenderedScript {
  const unresolved: string[] = []
  const text = content.replace(PLACEHOLDER, (whole, name: string) => {
    const value = (SCRIPT_VARIABLES as readonly string[]).includes(name) ? values[name as ScriptVariable] : undefined
    if (value === undefined || value === null || value === '') {
      if (!unresolved.includes(name)) unresolved.push(name)
      return whole
    }
    return value
  })
  return { text, unresolved }
}

/** Where a variable was taken out, until the brackets that held only it are gone too. */
const HOLE = '\u0000'
const EMPTY_BRACKETS = /「\u0000+」|『\u0000+』|“\u0000+”|（\u0000+）|\(\u0000+\)|【\u0000+】|《\u0000+》/g

/**
 * The text as it may go out when the member sends it without filling `unresolved`: those
 * variables are taken out (never sent with their braces), and so are brackets that held only them.
 */
export function withoutUnresolved(text: string, unresolved: readonly string[]): string {
  return text
    .replace(PLACEHOLDER, (whole, name: string) => (unresolved.includes(name) ? HOLE : whole))
    .replace(EMPTY_BRACKETS, '')
    .replace(new RegExp(HOLE, 'g'), '')
}
