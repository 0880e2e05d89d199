import type { Readable } from 'node:stream'
import { In, type DataSource, type EntityManager } from 'typeorm'
import { SCRIPT_LIMITS, type ScriptRowProblem } from '../api/contract'
import { Script, ScriptCategory, ScriptTagTarget } from '../entities'
import { csvRecords } from '../imports/csvRecords'
import { SCRIPT_VARIABLES } from './render'

export interface ImportSummary {
  created: number
  updated: number
  unchanged: number
  rejected: { line: number; reason: string; problem: ScriptRowProblem }[]
}

/** A script as a CSV line or the console's form gives it, trimmed. */
export interface ScriptFields {
  category: string
  title: string
  content: string
  tags: string[]
}

interface ScriptRow extends ScriptFields {
  line: number
}

/** What a batch wrote, for a caller that records it in the same transaction (the console's activity log). */
export type BatchRecorder = (tx: EntityManager, written: { created: number; updated: number }) => Promise<void>

/** The columns of SPEC §3.4. */
export const SCRIPT_COLUMNS = { required: ['category', 'title', 'content'], optional: ['tags'] }

const BATCH = 200
// The name is trimmed afterwards: `\s*` on both sides of a lazy `[^{}]*?` backtracks in cubic time on "{{" and 4,000 spaces.
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g

/** Why a script (a CSV row, or the console's form) cannot be stored, or null when it can: one rule for both. */
export function scriptProblem(row: ScriptFields): ScriptRowProblem | null {
  if (!row.category) return { kind: 'empty', field: 'category' }
  if (!row.title) return { kind: 'empty', field: 'title' }
  if (!row.content) return { kind: 'empty', field: 'content' }
  if ([...row.category].length > SCRIPT_LIMITS.category) return { kind: 'too_long', field: 'category', max: SCRIPT_LIMITS.category }
  if ([...row.title].length > SCRIPT_LIMITS.title) return { kind: 'too_long', field: 'title', max: SCRIPT_LIMITS.title }
  if (row.content.length > SCRIPT_LIMITS.content) return { kind: 'too_long', field: 'content', max: SCRIPT_LIMITS.content }
  const unknown = [...row.content.matchAll(PLACEHOLDER)].map((m) => m[1]!.trim()).filter((name) => !(SCRIPT_VARIABLES as readonly string[]).includes(name))
  if (unknown.length > 0) return { kind: 'unknown_variables', names: unknown }
  if (row.tags.some((tag) => [...tag].length > SCRIPT_LIMITS.tag)) return { kind: 'too_long', field: 'tag', max: SCRIPT_LIMITS.tag }
  return null
}

/** A problem in the words `npm run import` prints. */
export function problemText(problem: ScriptRowProblem): string {
  switch (problem.kind) {
    case 'empty':
      return `${problem.field} is empty`
    case 'too_long':
      return problem.field === 'tag' ? `a tag name is longer than ${problem.max} characters` : `${problem.field} is longer than ${problem.max} characters`
    case 'unknown_variables':
      return `unknown variable ${problem.names.map((name) => `{{${name}}}`).join(', ')} (known: ${SCRIPT_VARIABLES.join(', ')})`
    case 'duplicate':
      return `same category and title as line ${problem.firstLine}`
    case 'field_count':
      return 'the number of fields differs from the header'
  }
}

/**
 * `npm run import -- scripts` (SPEC §3.4): columns category,title,content[,tags], tags
 * `|`-separated. Re-importing updates by (category, title) and is otherwise a no-op.
 */
export async function importScripts(
  dataSource: DataSource,
  input: Readable,
  onProgress: (rows: number) => void = () => {},
  recordBatch?: BatchRecorder,
): Promise<ImportSummary> {
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, rejected: [] }
  const firstLineOf = new Map<string, number>()
  let batch: ScriptRow[] = []
  let rows = 0

  for await (const record of csvRecords(input, SCRIPT_COLUMNS)) {
    rows++
    if (!record.fields) {
      summary.rejected.push({ line: record.line, reason: record.reason, problem: { kind: 'field_count' } })
      continue
    }
    const row: ScriptRow = {
      line: record.line,
      category: record.fields.category!.trim(),
      title: record.fields.title!.trim(),
      content: record.fields.content!.trim(),
      tags: [...new Set((record.fields.tags ?? '').split('|').map((tag) => tag.trim()).filter(Boolean))],
    }
    const problem: ScriptRowProblem | null = scriptProblem(row) ?? (firstLineOf.has(key(row)) ? { kind: 'duplicate', firstLine: firstLineOf.get(key(row))! } : null)
    if (problem) summary.rejected.push({ line: row.line, reason: problemText(problem), problem })
    else {
      firstLineOf.set(key(row), row.line)
      batch.push(row)
    }
    if (batch.length >= BATCH) {
      await writeBatch(dataSource, batch, summary, recordBatch)
      batch = []
    }
    if (rows % 100 === 0) onProgress(rows)
  }
  await writeBatch(dataSource, batch, summary, recordBatch)
  onProgress(rows)
  return summary
}

const key = (row: ScriptRow) => `${row.category}\u0000${row.title}`

async function writeBatch(dataSource: DataSource, rows: ScriptRow[], summary: ImportSummary, recordBatch?: BatchRecorder): Promise<void> {
  if (rows.length === 0) return
  const now = new Date()
  const before = { created: summary.created, updated: summary.updated }
  await dataSource.transaction(async (tx) => {
    const categories = [...new Set(rows.map((row) => row.category))]
    await tx.createQueryBuilder().insert().updateEntity(false).into(ScriptCategory).values(categories.map((name) => ({ name, sortOrder: 0, createdAt: now }))).orIgnore().execute()
    const categoryIds = new Map((await tx.findBy(ScriptCategory, categories.map((name) => ({ name })))).map((c) => [c.name, c.id]))

    // What the batch's scripts are now: one query for the scripts, one for their targets.
    const existingScripts = await tx.findBy(Script, rows.map((row) => ({ categoryId: categoryIds.get(row.category)!, title: row.title })))
    const existingByKey = new Map(existingScripts.map((script) => [`${script.categoryId}\u0000${script.title}`, script]))
    const targetsById = new Map<number, string[]>()
    if (existingScripts.length > 0) {
      for (const target of await tx.findBy(ScriptTagTarget, { scriptId: In(existingScripts.map((script) => script.id)) })) {
        targetsById.set(target.scriptId, [...(targetsById.get(target.scriptId) ?? []), target.tagName])
      }
    }

    for (const row of rows) {
      const categoryId = categoryIds.get(row.category)!
      const existing = existingByKey.get(`${categoryId}\u0000${row.title}`)
      const targets = existing ? (targetsById.get(existing.id) ?? []).sort() : []
      if (existing && existing.content === row.content && targets.join('|') === [...row.tags].sort().join('|')) {
        summary.unchanged++
        continue
      }
      let scriptId: number
      if (existing) {
        await tx.update(Script, { id: existing.id }, { content: row.content, updatedAt: now })
        await tx.delete(ScriptTagTarget, { scriptId: existing.id })
        scriptId = existing.id
        summary.updated++
      } else {
        scriptId = (await tx.save(tx.create(Script, { categoryId, title: row.title, content: row.content, sendCount: 0, createdAt: now, updatedAt: now }))).id
        summary.created++
      }
      if (row.tags.length > 0) await tx.insert(ScriptTagTarget, row.tags.map((tagName) => ({ scriptId, tagName })))
    }
    const written = { created: summary.created - before.created, updated: summary.updated - before.updated }
    if (recordBatch && written.created + written.updated > 0) await recordBatch(tx, written)
  })
}
