import { Readable } from 'node:stream'
import type { DataSource, EntityManager } from 'typeorm'
import type { ScriptInput, ScriptRowProblem } from '../api/contract'
import { query, rawInstant } from '../db/sql'
import { Script, ScriptCategory, ScriptMemberUsage, ScriptTagTarget } from '../entities'
import { AppError, validationFailed } from '../errors'
import { CsvHeaderError, CsvSyntaxError, csvRowBatches } from '../imports/csvRecords'
import { importScripts, problemText, SCRIPT_COLUMNS, scriptProblem, type ImportSummary, type ScriptFields } from '../scripts/importScripts'
import { recordActivity } from './activity'
import type { ConsoleViewer } from './team'

/** 话术库 lists at most this many scripts; the search narrows a larger library. */
export const SCRIPT_LIST_LIMIT = 200

/** A script as read for 话术库; server/presenters/consoleScripts.ts makes it the API's ConsoleScript. */
export interface LibraryScript {
  id: number
  categoryId: number
  categoryName: string
  title: string
  content: string
  tags: string[]
  sendCount: number
  updatedAt: Date
}

export interface LibraryRead {
  scripts: LibraryScript[]
  total: number
  categories: { id: number; name: string; scripts: number }[]
}

/** A LIKE pattern for `text` anywhere, with LIKE's own characters taken literally (escape character `!`, the same on both databases). */
const containing = (text: string) => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`

/**
 * The library (SPEC §4.6): scripts whose title or content contains `q`, in one category or
 * all, the most recently changed first; and every category that holds a script.
 */
export async function scriptLibrary(manager: EntityManager, { q, categoryId }: { q?: string; categoryId?: number }): Promise<LibraryRead> {
  const conditions: string[] = []
  const parameters: Record<string, unknown> = {}
  if (q) {
    conditions.push("(s.title LIKE :pattern ESCAPE '!' OR s.content LIKE :pattern ESCAPE '!')")
    parameters.pattern = containing(q)
  }
  if (categoryId !== undefined) {
    conditions.push('s.category_id = :categoryId')
    parameters.categoryId = categoryId
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
  const [rows, [count], categories] = await Promise.all([
    query<{ id: number; category_id: number; category_name: string; title: string; content: string; send_count: number | string; updated_at: Date | string }>(
      manager,
      `SELECT s.id, s.category_id, c.name AS category_name, s.title, s.content, s.send_count, s.updated_at
         FROM scripts s JOIN script_categories c ON c.id = s.category_id
         ${where}
        ORDER BY s.updated_at DESC, s.id DESC
        LIMIT ${SCRIPT_LIST_LIMIT}`,
      parameters,
    ),
    query<{ n: number | string }>(manager, `SELECT COUNT(*) AS n FROM scripts s ${where}`, parameters),
    query<{ id: number; name: string; n: number | string }>(
      manager,
      'SELECT c.id, c.name, COUNT(*) AS n FROM script_categories c JOIN scripts s ON s.category_id = c.id GROUP BY c.id, c.name',
    ),
  ])
  const ids = rows.map((row) => Number(row.id))
  const tagsOf = new Map<number, string[]>()
  if (ids.length > 0) {
    for (const target of await query<{ script_id: number; tag_name: string }>(manager, 'SELECT script_id, tag_name FROM script_tag_targets WHERE script_id IN (:...ids)', { ids })) {
      const id = Number(target.script_id)
      tagsOf.set(id, [...(tagsOf.get(id) ?? []), target.tag_name])
    }
  }
  return {
    scripts: rows.map((row) => ({
      id: Number(row.id),
      categoryId: Number(row.category_id),
      categoryName: row.category_name,
      title: row.title,
      content: row.content,
      tags: (tagsOf.get(Number(row.id)) ?? []).sort(byName),
      sendCount: Number(row.send_count),
      updatedAt: rawInstant(row.updated_at),
    })),
    total: Number(count?.n ?? 0),
    categories: categories.map((c) => ({ id: Number(c.id), name: c.name, scripts: Number(c.n) })).sort((a, b) => byName(a.name, b.name)),
  }
}

const byName = (a: string, b: string) => a.localeCompare(b, 'zh-Hans-CN')

/** The form's fields as stored: trimmed, tags without blanks or repeats; refused (changing nothing) by the importer's own rules. */
function acceptedFields(input: ScriptInput): ScriptFields {
  const fields: ScriptFields = {
    category: input.category.trim(),
    title: input.title.trim(),
    content: input.content.trim(),
    tags: [...new Set(input.tags.map((tag) => tag.trim()).filter(Boolean))],
  }
  const problem = scriptProblem(fields)
  if (problem) throw refusal(problem)
  return fields
}

function refusal(problem: ScriptRowProblem): AppError {
  return problem.kind === 'unknown_variables' ? new AppError('script_variable', problemText(problem)) : validationFailed(problemText(problem))
}

const scriptExists = () => new AppError('script_exists', 'A script of that category and title exists')
const scriptNotFound = () => new AppError('script_not_found', 'No such script')

/** A unique index refused the write: a concurrent request stored the same (category, title) first. */
function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: unknown } }).driverError
  return driverError?.code === 'ER_DUP_ENTRY' || String(driverError?.code ?? '').startsWith('SQLITE_CONSTRAINT_UNIQUE')
}

async function inTransaction<T>(dataSource: DataSource, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  try {
    return await dataSource.transaction(work)
  } catch (error) {
    if (isUniqueViolation(error)) throw scriptExists()
    throw error
  }
}

/** The category named `name`, made when new (SPEC §4.6: categories come with the scripts that use them). */
async function categoryNamed(tx: EntityManager, name: string, now: Date): Promise<ScriptCategory> {
  await tx.createQueryBuilder().insert().updateEntity(false).into(ScriptCategory).values({ name, sortOrder: 0, createdAt: now }).orIgnore().execute()
  return tx.findOneByOrFail(ScriptCategory, { name })
}

/** Refuses a second script of the same category and title (the natural key of SPEC §3.4). */
async function refuseDuplicate(tx: EntityManager, categoryId: number, title: string, except?: number): Promise<void> {
  const existing = await tx.findOneBy(Script, { categoryId, title })
  if (existing && existing.id !== except) throw scriptExists()
}

async function readScript(tx: EntityManager, id: number): Promise<LibraryScript> {
  const script = await tx.findOneBy(Script, { id })
  if (!script) throw scriptNotFound()
  const category = await tx.findOneByOrFail(ScriptCategory, { id: script.categoryId })
  const tags = (await tx.findBy(ScriptTagTarget, { scriptId: id })).map((t) => t.tagName).sort(byName)
  return { id, categoryId: category.id, categoryName: category.name, title: script.title, content: script.content, tags, sendCount: script.sendCount, updatedAt: script.updatedAt }
}

/** 新建话术: a script in its category (made when new), with its targeting tags; logged. */
export async function createScript(dataSource: DataSource, viewer: ConsoleViewer, input: ScriptInput, now = new Date()): Promise<LibraryScript> {
  const fields = acceptedFields(input)
  return inTransaction(dataSource, async (tx) => {
    const category = await categoryNamed(tx, fields.category, now)
    await refuseDuplicate(tx, category.id, fields.title)
    const { id } = await tx.save(tx.create(Script, { categoryId: category.id, title: fields.title, content: fields.content, sendCount: 0, createdAt: now, updatedAt: now }))
    if (fields.tags.length > 0) await tx.insert(ScriptTagTarget, fields.tags.map((tagName) => ({ scriptId: id, tagName })))
    await recordActivity(tx, { actorMemberId: viewer.id, action: 'script_created', detail: { scriptId: id, category: category.name, title: fields.title, tags: fields.tags } }, now)
    return readScript(tx, id)
  })
}

/** 编辑: everything but the send count; the log says what changed. */
export async function updateScript(dataSource: DataSource, viewer: ConsoleViewer, id: number, input: ScriptInput, now = new Date()): Promise<LibraryScript> {
  const fields = acceptedFields(input)
  return inTransaction(dataSource, async (tx) => {
    const before = await readScript(tx, id)
    const category = await categoryNamed(tx, fields.category, now)
    await refuseDuplicate(tx, category.id, fields.title, id)
    const changed = [
      ...(before.categoryName !== category.name ? ['category'] : []),
      ...(before.title !== fields.title ? ['title'] : []),
      ...(before.content !== fields.content ? ['content'] : []),
      ...(before.tags.join('|') !== [...fields.tags].sort(byName).join('|') ? ['tags'] : []),
    ]
    if (changed.length === 0) return before
    await tx.update(Script, { id }, { categoryId: category.id, title: fields.title, content: fields.content, updatedAt: now })
    await tx.delete(ScriptTagTarget, { scriptId: id })
    if (fields.tags.length > 0) await tx.insert(ScriptTagTarget, fields.tags.map((tagName) => ({ scriptId: id, tagName })))
    await recordActivity(
      tx,
      { actorMemberId: viewer.id, action: 'script_updated', detail: { scriptId: id, category: category.name, title: fields.title, changed, ...(changed.includes('title') || changed.includes('category') ? { was: { category: before.categoryName, title: before.title } } : {}) } },
      now,
    )
    return readScript(tx, id)
  })
}

/** 删除: the script, its targets and its per-member counts; logged with what it was. */
export async function deleteScript(dataSource: DataSource, viewer: ConsoleViewer, id: number, now = new Date()): Promise<void> {
  await dataSource.transaction(async (tx) => {
    const script = await readScript(tx, id)
    await tx.delete(ScriptTagTarget, { scriptId: id })
    await tx.delete(ScriptMemberUsage, { scriptId: id })
    await tx.delete(Script, { id })
    await recordActivity(tx, { actorMemberId: viewer.id, action: 'script_deleted', detail: { scriptId: id, category: script.categoryName, title: script.title, sendCount: script.sendCount } }, now)
  })
}

/**
 * 导入 CSV: the importer of `npm run import -- scripts`, on an uploaded file's text. The
 * whole file is read once first, so a file that is not CSV (no header, a quote left open)
 * is refused before any line is written; each batch written is logged with its counts.
 */
export async function importScriptFile(dataSource: DataSource, viewer: ConsoleViewer, text: string): Promise<ImportSummary> {
  const file = () => Readable.from([text])
  try {
    for await (const _ of csvRowBatches(file(), SCRIPT_COLUMNS)) void _
    return await importScripts(dataSource, file(), undefined, (tx, written) =>
      recordActivity(tx, { actorMemberId: viewer.id, action: 'scripts_imported', detail: written }),
    )
  } catch (error) {
    if (error instanceof CsvHeaderError) throw new AppError('csv_header', error.message)
    if (error instanceof CsvSyntaxError) throw new AppError('csv_syntax', error.message)
    throw error
  }
}
