import { Readable } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chunked, csvField, fuzzRuns, hostileText, plainName, TimeBudget, writeCsv } from '../../test/fuzzBodies'
import { CsvHeaderError, csvRecords, CsvSyntaxError, MAX_RECORD_BYTES } from './csvRecords'

type Read = Awaited<ReturnType<typeof readAll>>

async function readAll(chunks: Buffer[], required: string[], optional: string[] = []) {
  const out: { line: number; fields: Record<string, string> | null }[] = []
  for await (const record of csvRecords(Readable.from(chunks), { required, optional })) out.push({ line: record.line, fields: record.fields })
  return out
}

/** What a string is once written as UTF-8 and read back: lone surrogates become U+FFFD. */
const asUtf8 = (text: string) => Buffer.from(text, 'utf8').toString('utf8')

/** Reads, and turns the documented errors into values; anything else fails the property. */
async function outcome(chunks: Buffer[], required: string[]): Promise<Read | CsvHeaderError | CsvSyntaxError> {
  try {
    return await readAll(chunks, required)
  } catch (error) {
    if (error instanceof CsvHeaderError || error instanceof CsvSyntaxError) return error
    throw error
  }
}

const header = fc.uniqueArray(plainName(8), { minLength: 1, maxLength: 5 })
const budget = new TimeBudget('csvRecords', 1_000, 5)

describe('csvRecords under fuzzing', () => {
  it('reads back every record of a well-formed file, on its line, whatever the text, BOM, newlines and chunking', async () => {
    const file = header.chain((names) =>
      fc.record({
        names: fc.constant(names),
        rows: fc.array(
          // Mostly the header's width; sometimes one more or fewer, which must come back rejected.
          fc.oneof(
            { weight: 4, arbitrary: fc.array(hostileText(30), { minLength: names.length, maxLength: names.length }) },
            { weight: 1, arbitrary: fc.array(hostileText(30), { minLength: 1, maxLength: names.length + 1 }) },
          ),
          { maxLength: 12 },
        ),
        bom: fc.boolean(),
        newline: fc.constantFrom('\n', '\r\n'),
        quoteAll: fc.boolean(),
      }),
    )
    await fc.assert(
      fc.asyncProperty(file.chain((f) => {
        const { text, lines } = writeCsv(f.names, f.rows, f)
        const bytes = Buffer.from(text, 'utf8')
        return fc.record({ f: fc.constant(f), lines: fc.constant(lines), bytes: fc.constant(bytes), chunks: chunked(bytes) })
      }), async ({ f, lines, bytes, chunks }) => {
        const read = await budget.measure(bytes.length, () => readAll(chunks, [f.names[0]!]))
        // A record of one empty field is a blank line, skipped.
        const expected = lines
          .filter(({ fields }) => !(fields.length === 1 && fields[0] === ''))
          .map(({ line, fields }) => ({ line, fields: fields.length === f.names.length ? Object.fromEntries(f.names.map((name, i) => [name, asUtf8(fields[i]!)])) : null }))
        expect(read).toEqual(expected)
      }),
      fuzzRuns(300),
    )
  })

  it('arbitrary bytes and text: records on increasing lines, or a header or syntax error naming a line; nothing else', async () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ unit: 'binary', maxLength: 2_000 }).map((text) => Buffer.from(`a,b\n${text}`)),
      fc.array(fc.oneof(hostileText(20), fc.constantFrom('"', '""', '","', '\n', '\r', ',')), { maxLength: 200 }).map((parts) => Buffer.from(`\ufeffa,b\r\n${parts.join('')}`)),
    )
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const result = await budget.measure(bytes.length, () => outcome([bytes], ['a']))
        if (result instanceof CsvSyntaxError) {
          expect(result.message).toMatch(/^line \d+: /)
          expect(result.line).toBeGreaterThanOrEqual(1)
        } else if (!(result instanceof CsvHeaderError)) {
          const lines = result.map((record) => record.line)
          expect(lines).toEqual([...lines].sort((a, b) => a - b))
          expect(new Set(lines).size).toBe(lines.length)
          for (const line of lines) expect(line).toBeGreaterThanOrEqual(2)
        }
      }),
      fuzzRuns(300),
    )
  })

  it('broken quoting: the records before it come back as written; the error names its line or a later one', async () => {
    const file = fc.record({
      rows: fc.array(fc.tuple(hostileText(15), hostileText(15)), { minLength: 1, maxLength: 8 }),
      broken: fc.nat(),
      value: fc.oneof(hostileText(15), fc.constantFrom('a"b', 'x', '', '"x"y')),
      style: fc.constantFrom('broken' as const, 'bare' as const),
    })
    await fc.assert(
      fc.asyncProperty(file, async ({ rows, broken, value, style }) => {
        const { lines } = writeCsv(['a', 'b'], rows)
        const at = broken % lines.length
        const brokenLine = lines[at]!.line
        // The text up to the broken record, the broken record, then the rest as written.
        const before = writeCsv(['a', 'b'], rows.slice(0, at)).text
        const rest = writeCsv(['a', 'b'], rows.slice(at + 1)).text.slice('a,b\n'.length)
        const bytes = Buffer.from(`${before}${csvField(value, style)},x\n${rest}`)
        const result = await outcome([bytes], ['a'])
        const expectedBefore = lines.slice(0, at).filter(({ fields }) => !(fields.length === 1 && fields[0] === '')).map(({ line, fields }) => ({ line, fields: { a: asUtf8(fields[0]!), b: asUtf8(fields[1]!) } }))
        if (result instanceof CsvSyntaxError) expect(result.line).toBeGreaterThanOrEqual(brokenLine)
        else {
          expect(result).not.toBeInstanceOf(CsvHeaderError)
          expect((result as Read).slice(0, expectedBefore.length)).toEqual(expectedBefore)
        }
      }),
      fuzzRuns(200),
    )
  })

  it('stops at a record longer than the bound, naming its line, without reading the rest into memory', async () => {
    const huge = Buffer.from(`a,b\n1,2\n3,"${'x'.repeat(MAX_RECORD_BYTES)}\n`)
    const start = performance.now()
    const error = await readAll([huge], ['a']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CsvSyntaxError)
    expect((error as CsvSyntaxError).line).toBe(3)
    expect((error as Error).message).toContain('longer than')
    expect(performance.now() - start).toBeLessThan(5_000)
  })

  it('names the line where an unclosed quote opened, not the end of the file', async () => {
    const error = await readAll([Buffer.from('a,b\n1,2\n3,"open\n4,5\n6,7\n')], ['a']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CsvSyntaxError)
    expect((error as Error).message).toMatch(/^line 3: a quoted field is never closed/)
  })

  it('gives every record before broken quoting, in the same read, before the error', async () => {
    const read: number[] = []
    const error = await (async () => {
      for await (const record of csvRecords(Readable.from([Buffer.from('a,b\n1,2\n3,4\n5,"x"y\n7,8\n')]), { required: ['a'] })) read.push(record.line)
    })().catch((e: unknown) => e)
    expect(read).toEqual([2, 3])
    expect((error as Error).message).toMatch(/^line 4: text follows the closing quote/)
  })

  it('counts a CRLF inside a quoted field as one line, as an editor does', async () => {
    const read = await readAll([Buffer.from('a,b\r\n"one\r\ntwo",1\r\n3,4\r\n')], ['a'])
    expect(read.map((record) => record.line)).toEqual([2, 4])
  })

  it.sequential('reports its worst time', () => {
    console.log(budget.report())
  })
})
