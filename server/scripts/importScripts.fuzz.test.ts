import { Readable } from 'node:stream'
import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { migratedDatabase, testDatabaseKind } from '../../test/database'
import { chunked, fuzzRuns, hostileText, plainName, rowCounts, TimeBudget, writeCsv } from '../../test/fuzzBodies'
import { CsvHeaderError, CsvSyntaxError } from '../imports/csvRecords'
import { importScripts, type ImportSummary } from './importScripts'
import { SCRIPT_VARIABLES } from './render'

let dataSource: DataSource
let cleanup: () => Promise<void>
beforeAll(async () => {
  ;({ dataSource, cleanup } = await migratedDatabase())
})
afterAll(() => cleanup())

const TABLES = ['script_tag_targets', 'scripts', 'script_categories'] as const
async function emptyTables() {
  for (const table of TABLES) await dataSource.query(`DELETE FROM ${table}`)
}

/** Everything the import may touch, as plain data, ids and times included. */
async function snapshot() {
  const rows = await Promise.all(TABLES.map((table) => dataSource.query(`SELECT * FROM ${table}`)))
  return JSON.stringify(rows.map((table: Record<string, unknown>[]) => table.map((row) => JSON.stringify(row)).sort()))
}

async function storedScripts(): Promise<string[]> {
  const rows: { category: string; title: string; content: string; id: number }[] = await dataSource.query(
    'SELECT c.name AS category, s.title AS title, s.content AS content, s.id AS id FROM scripts s JOIN script_categories c ON c.id = s.category_id',
  )
  const targets: { script_id: number; tag_name: string }[] = await dataSource.query('SELECT script_id, tag_name FROM script_tag_targets')
  return rows.map((row) => JSON.stringify([row.category, row.title, row.content, targets.filter((t) => Number(t.script_id) === Number(row.id)).map((t) => t.tag_name).sort()])).sort()
}

const run = (chunks: Buffer[]) => importScripts(dataSource, Readable.from(chunks))
const asUtf8 = (text: string) => Buffer.from(text, 'utf8').toString('utf8')

interface ModelRow {
  category: string
  title: string
  content: string
  tags: string
  /** Built to be importable, with a (category, title) no other row has. */
  valid: boolean
}

const variable = fc.constantFrom(...SCRIPT_VARIABLES.map((name) => `{{${name}}}`), '{{ 客户称呼 }}', '{{未知}}', '{{}}', '{{', '}}')
const validRow = (n: number): fc.Arbitrary<ModelRow> =>
  fc.record({
    category: plainName(10),
    title: plainName(10).map((title) => `${title}#${n}`),
    content: fc.array(fc.oneof(plainName(20), fc.constantFrom(...SCRIPT_VARIABLES.map((name) => `{{${name}}}`))), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(' ')),
    tags: fc.array(plainName(8), { maxLength: 3 }).map((tags) => tags.join('|')),
    valid: fc.constant(true),
  })
const hostileRow: fc.Arbitrary<ModelRow> = fc.record({
  // Small pools, so that rows repeat a (category, title).
  category: fc.oneof(fc.constantFrom('问候', ' 问候 ', '', 'x'.repeat(65)), hostileText(70)),
  title: fc.oneof(fc.constantFrom('早安', '早安 ', '', 'y'.repeat(129)), hostileText(140)),
  content: fc.oneof(fc.array(fc.oneof(hostileText(30), variable), { maxLength: 6 }).map((parts) => parts.join('')), fc.constantFrom('', ' ', 'z'.repeat(4001), `{{${' '.repeat(3990)}`)),
  tags: fc.oneof(fc.array(fc.oneof(hostileText(10), fc.constant('t'.repeat(65))), { maxLength: 4 }).map((tags) => tags.join('|')), fc.constant('')),
  valid: fc.constant(false),
})

const scriptsFile = fc
  .record({
    rows: fc.array(fc.nat(), { maxLength: 15 }).chain((seeds) => fc.tuple(...seeds.map((_, n) => fc.oneof(validRow(n), hostileRow)))),
    withTags: fc.boolean(),
    // The header's columns in any order, padded or not.
    order: fc.shuffledSubarray(['category', 'title', 'content', 'tags'], { minLength: 4, maxLength: 4 }),
    padHeader: fc.boolean(),
    bom: fc.boolean(),
    newline: fc.constantFrom('\n', '\r\n'),
  })
  .map(({ rows, withTags, order, padHeader, bom, newline }) => {
    const columns = order.filter((name) => withTags || name !== 'tags') as (keyof ModelRow)[]
    const { text, lines } = writeCsv(
      columns.map((name) => (padHeader ? ` ${name} ` : name)),
      rows.map((row) => columns.map((name) => String(row[name]))),
      { bom, newline },
    )
    return { rows: rows.map((row, i) => ({ ...row, tags: withTags ? row.tags : '', line: lines[i]!.line })), bytes: Buffer.from(text, 'utf8') }
  })

const budget = new TimeBudget(`importScripts on ${testDatabaseKind}`, 3_000, 50)

describe(`importing scripts under fuzzing, on ${testDatabaseKind}`, () => {
  beforeEach(emptyTables)

  it('imports exactly the rows it does not reject, by line, and a second import changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(scriptsFile.chain((file) => fc.record({ file: fc.constant(file), chunks: chunked(file.bytes) })), async ({ file, chunks }) => {
        await emptyTables()
        const summary = await budget.measure(file.bytes.length, () => run(chunks))

        const lines = file.rows.map((row) => row.line)
        const rejectedLines = summary.rejected.map((r) => r.line)
        expect(rejectedLines).toEqual([...new Set(rejectedLines)].sort((a, b) => a - b))
        for (const { line, reason } of summary.rejected) {
          expect(lines, `rejected line ${line} is no record's line`).toContain(line)
          expect(reason.length).toBeGreaterThan(0)
        }
        const accepted = file.rows.filter((row) => !rejectedLines.includes(row.line))
        for (const row of file.rows.filter((r) => r.valid)) expect(rejectedLines, `valid line ${row.line}: ${JSON.stringify(summary.rejected)}`).not.toContain(row.line)
        expect(summary).toMatchObject({ created: accepted.length, updated: 0, unchanged: 0 })

        // What is stored is exactly the accepted rows, trimmed; a rejected line left no trace.
        const expected = accepted.map((row) => JSON.stringify([asUtf8(row.category).trim(), asUtf8(row.title).trim(), asUtf8(row.content).trim(), [...new Set(asUtf8(row.tags).split('|').map((t) => t.trim()).filter(Boolean))].sort()]))
        expect(await storedScripts()).toEqual(expected.sort())

        const before = await snapshot()
        const again = await run([file.bytes])
        expect(again).toEqual({ created: 0, updated: 0, unchanged: accepted.length, rejected: summary.rejected } satisfies ImportSummary)
        expect(await snapshot()).toBe(before)
      }),
      fuzzRuns(testDatabaseKind === 'mysql' ? 80 : 150),
    )
  })

  it('arbitrary bytes: a summary, or a header or syntax error; never anything else, and a header error writes nothing', async () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 3_000 }).map((bytes) => Buffer.from(bytes)),
      fc.array(fc.oneof(hostileText(30), fc.constantFrom('"', ',', '\n', '\r\n', '{{')), { maxLength: 100 }).map((parts) => Buffer.from(`category,title,content,tags\n${parts.join('')}`)),
      fc.array(fc.oneof(hostileText(30), fc.constantFrom('"', ',', '\n')), { maxLength: 60 }).map((parts) => Buffer.from(`\ufeffcontent,category,title\r\n${parts.join(',')}`)),
    )
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        await emptyTables()
        let summary: ImportSummary | null = null
        try {
          summary = await budget.measure(bytes.length, () => run([bytes]))
        } catch (error) {
          if (error instanceof CsvHeaderError) expect(await rowCounts(dataSource, TABLES)).toEqual({ script_tag_targets: 0, scripts: 0, script_categories: 0 })
          else if (!(error instanceof CsvSyntaxError)) throw error
          return
        }
        const counts = await rowCounts(dataSource, TABLES)
        expect(counts.scripts).toBe(summary.created)
        // Idempotent whatever the file: the second run finds everything as the first left it.
        const before = await snapshot()
        expect(await run([bytes])).toMatchObject({ created: 0, updated: 0, unchanged: summary.created })
        expect(await snapshot()).toBe(before)
      }),
      fuzzRuns(testDatabaseKind === 'mysql' ? 100 : 200),
    )
  })

  it('checks variables in time linear in the content ("{{" and 4,000 spaces took 13 s)', async () => {
    const content = `{{${' '.repeat(3_990)}`
    const start = performance.now()
    const summary = await run([Buffer.from(`category,title,content\n问候,慢,"${content}"\n问候,也慢,"{{${' '.repeat(3_990)}x"\n`)])
    expect(performance.now() - start).toBeLessThan(1_000)
    expect(summary.created).toBe(2)
  })

  it.sequential('reports its worst time', () => {
    console.log(budget.report())
  })
})
