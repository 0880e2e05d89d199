import type { Readable } from 'node:stream'
import { In, type DataSource } from 'typeorm'
import { Script, ScriptCategory, ScriptTagTarget } from '../entities'
import { csvRecords } from '../imports/csvRecords'
import { SCRIPT_VARIABLES } from './render'

export interface ImportSummary {
  created: number
  updated: number
  unchanged: number
  rejected: { line: number; reason: string }[]
}

interface ScriptRow {
  line: number
  category: string
  title: string
  content: string
  tags: string[]
}

const BATCH = 200
// The name is trimmed afterwards: `\s*` on both sides of a lazy `[^{}]*?` backtracks in cubic time on "{{" and 4,000 spaces.
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g

/** Why a row cannot become a script, or null when it can. */
function problemWith(row: ScriptRow): string | null {
  if (!row.category) return 'category is empty'
  if (!row.title) return 'title is empty'
  if (!row.content) return 'content is empty'
  if ([...row.category].length > 64) return 'category is longer than 64 characters'
  if ([...row.title].length > 128) return 'title is longer than 128 characters'
  if (row.content.length > 4000) return 'content is longer than 4000 characters'
  const unknown = [...row.content.matchAll(PLACEHOLDER)].map((m) => m[1]!.trim()).filter((name) => !(SCRIPT_VARIABLES as readonly string[]).includes(name))
  if (unknown.length > 0) return `unknown variable ${unknown.map((name) => `{{${name}}}`).join(', ')} (known: ${SCRIPT_VARIABLES.join(', ')})`
  if (row.tags.some((tag) => [...tag].length > 64)) return 'a tag name is longer than 64 characters'
  return null
}

/**
 * `npm run import -- scripts` (SPEC §3.4): columns category,title,content[,tags], tags
 * `|`-separated. Re-importing updates by (category, title) and is otherwise a no-op.
 */
export async function importScripts(dataSource: DataSource, input: Readable, onProgress: (rows: number) => void = () => {}): Promise<ImportSummary> {
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, rejected: [] }
  const firstLineOf = new Map<string, number>()
  let batch: ScriptRow[] = []
  let rows = 0

  for await (const record of csvRecords(input, { required: ['category', 'title', 'content'], optional: ['tags'] })) {
    rows++
    if (!record.fields) {
      summary.rejected.push({ line: record.line, reason: record.reason })
      continue
    }
    const row: ScriptRow = {
      line: record.line,
      category: record.fields.category!.trim(),
      title: record.fields.title!.trim(),
      content: record.fields.content!.trim(),
      tags: [...new Set((record.fields.tags ?? '').split('|').map((tag) => tag.trim()).filter(Boolean))],
    }
    const problem = problemWith(row)
    const key = `${row.category}\u0000${row.title}`
    const earlier = firstLineOf.get(key)
    if (problem) summary.rejected.push({ line: row.line, reason: problem })
    else if (earlier !== undefined) summary.rejected.push({ line: row.line, reason: `same category and title as line ${earlier}` })
    else {
      firstLineOf.set(key, row.line)
      batch.push(row)
    }
    if (batch.length >= BATCH) {
      await writeBatch(dataSource, batch, summary)
      batch = []
    }
    if (rows % 100 === 0) onProgress(rows)
  }
  await writeBatch(dataSource, batch, summary)
  onProgress(rows)
  return summary
}

async function writeBatch(dataSource: DataSource, rows: ScriptRow[], summary: ImportSummary): Promise<void> {
  if (rows.length === 0) return
  const now = new Date()
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
  })
}
