/**
 * Generators and checks shared by the fuzz suite (`*.fuzz.test.ts`): hostile text, CSV files
 * with a model of what each line holds, JSON and raw bodies, path segments, row counts and
 * a time bound per input size.
 *
 * Runs are bounded and reproducible: a failing property prints its seed and path; replay it
 * with FUZZ_SEED=<seed> FUZZ_PATH=<path>, or run longer with FUZZ_SCALE=10.
 */
import fc from 'fast-check'
import { expect } from 'vitest'
import type { DataSource } from 'typeorm'

/** fast-check parameters for one property: `numRuns` cases (times FUZZ_SCALE), or the replay of a reported failure. */
export function fuzzRuns(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED
  const path = process.env.FUZZ_PATH
  const scale = Number(process.env.FUZZ_SCALE ?? 1)
  return {
    numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1))),
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
    // A failing case against a real database is slow to shrink; a few steps find the gist.
    interruptAfterTimeLimit: 60_000,
    markInterruptAsFailure: false,
  }
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code))

/** Characters that break parsers, databases and terminals. */
const nastyCharacter = fc.constantFrom(
  '"', ',', '\n', '\r', '\r\n', '\t', '|', '*', '\\', "'", '`', ';', '{', '}', '{{', '}}', '%', '%00', '\u0000', '\u0007', '\u001b', '\u007f',
  '\u00a0', '\u3000', '\ufeff', '\u200b', '\u202e', '\u2028', '\ufffd', '😀', '👩‍👩‍👧', '中', '𠜎', 'é', 'e\u0301', ' ',
)

/** Strings a hostile or careless sender produces: unicode, control characters, lone surrogates, quotes and delimiters. */
export const hostileText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.oneof(nastyCharacter, fc.string({ maxLength: 1 }), loneSurrogate), maxLength }),
    fc.constantFrom('', ' ', 'null', 'undefined', 'NaN', '-1', '1e400', "'; DROP TABLE orders; --", '<script>alert(1)</script>', '{{客户称呼}}', '{{ 未知 }}', '=cmd|" /C calc"!A0'),
  )

/** Text that is valid wherever a short name is: ASCII letters, digits and CJK, no delimiters. */
export const plainName = (maxLength = 12): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'abcxyzABC0129-_中文话术客户'), minLength: 1, maxLength })

/** A CSV field as written: RFC 4180 quoted, bare (which may break the file when it holds a quote or delimiter), or with broken quoting. */
export function csvField(value: string, style: 'quoted' | 'bare' | 'broken'): string {
  if (style === 'quoted') return `"${value.replaceAll('"', '""')}"`
  if (style === 'broken') return `"${value}`
  return value
}

/** Whether a value may be written bare and read back as itself. */
export const isBareSafe = (value: string) => !/[",\r\n]/.test(value) && !value.startsWith('\ufeff')

export interface CsvLine {
  /** The line the record starts on (1 is the header), as the importer counts. */
  line: number
  fields: string[]
}

/**
 * A well-formed CSV file of `rows` (each field quoted when it needs to be), and where each
 * record starts. `newline` is the record separator; a record may span lines when a quoted field holds newlines.
 */
export function writeCsv(header: string[], rows: string[][], { bom = false, newline = '\n', quoteAll = false }: { bom?: boolean; newline?: string; quoteAll?: boolean } = {}): { text: string; lines: CsvLine[] } {
  const encode = (fields: string[]) => fields.map((f) => csvField(f, quoteAll || !isBareSafe(f) ? 'quoted' : 'bare')).join(',')
  let line = 1 + lineBreaks(encode(header)) + 1
  const lines: CsvLine[] = []
  const parts = [encode(header)]
  for (const fields of rows) {
    const encoded = encode(fields)
    lines.push({ line, fields })
    parts.push(encoded)
    line += lineBreaks(encoded) + 1
  }
  return { text: (bom ? '\ufeff' : '') + parts.join(newline) + newline, lines }
}

/** Line breaks as our CSV reader counts them: \r\n, \r and \n each end a line. */
const lineBreaks = (text: string) => text.match(/\r\n|\r|\n/g)?.length ?? 0

/** A file's bytes cut into chunks at random places (multi-byte characters straddle chunks, as they do in a read stream). */
export const chunked = (bytes: Buffer): fc.Arbitrary<Buffer[]> =>
  fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), { maxLength: Math.min(8, bytes.length) }).map((cuts) => {
    const points = [0, ...cuts.filter((c) => c < bytes.length).sort((a, b) => a - b), bytes.length]
    return points.slice(1).map((end, i) => bytes.subarray(points[i], end)).filter((chunk) => chunk.length > 0)
  })

/** Arbitrary JSON values, deep and wide enough to reach every branch of a zod schema. */
export const jsonValue = fc.jsonValue({ maxDepth: 4 })

/** A body as sent on the wire: JSON of an arbitrary value, JSON of an object shaped like `shape`, or raw text that is mostly not JSON. */
export const jsonishBody = (shape: fc.Arbitrary<unknown> = fc.constant({})): fc.Arbitrary<string> =>
  fc.oneof(
    jsonValue.map((value) => JSON.stringify(value)),
    shape.map((value) => JSON.stringify(value)),
    fc.tuple(shape, fc.dictionary(hostileText(12), jsonValue, { maxKeys: 3 })).map(([value, extra]) => JSON.stringify(typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...extra, ...value } : value)),
    hostileText(200),
    fc.constantFrom('', '{', '[', 'null', '{"a":1}{"a":2}', '\ufeff{}', '{"__proto__":{"marked":true}}', '{"constructor":{"prototype":{}}}', '1'.repeat(400), '['.repeat(5_000)),
  )

/** Values that shape-check fields: the right type, a wrong type, or a hostile string. */
export const fieldValue = (right: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: right }, { weight: 1, arbitrary: jsonValue }, { weight: 1, arbitrary: hostileText(80) }, { weight: 1, arbitrary: fc.constantFrom(undefined, null, 0, -1, 1e308, 2 ** 53 + 1, true, [], {}) })

/** Path segments that are not what a route expects: numbers in disguise, percent escapes, unicode, very long. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('abc', 'NaN', 'Infinity', '-Infinity', '-1', '0', '1.5', '1e400', '0x10', '9007199254740993', '99999999999999999999', '%00', '%ZZ', '%', '%2F', '..', '.', '%2e%2e', ' ', '%20', 'null', 'undefined', '[]', '{}'),
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  fc.integer({ min: 1, max: 8_000 }).map((n) => 'x'.repeat(n)),
  fc.integer().map(String),
)

/** Row counts of tables, to show that a refused request wrote nothing. */
export async function rowCounts<T extends string>(dataSource: DataSource, tables: readonly T[]): Promise<Record<T, number>> {
  const counts = {} as Record<T, number>
  for (const table of tables) counts[table] = Number((await dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n)
  return counts
}

/**
 * Times each case against a budget linear in its size, and keeps the worst case seen (for
 * the report). The base is generous: the machine is shared, and a case includes its database round trips.
 */
export class TimeBudget {
  worst = { ms: 0, bytes: 0, msPerKb: 0 }
  constructor(
    readonly name: string,
    private readonly baseMs: number,
    private readonly msPerKb: number,
  ) {}

  async measure<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    const start = performance.now()
    const result = await work()
    const ms = performance.now() - start
    if (ms > this.worst.ms) this.worst = { ms: Math.round(ms), bytes, msPerKb: Math.round((ms / Math.max(1, bytes / 1024)) * 100) / 100 }
    expect(ms, `${this.name}: ${bytes} bytes took ${Math.round(ms)} ms`).toBeLessThanOrEqual(this.baseMs + (this.msPerKb * bytes) / 1024)
    return result
  }

  report(): string {
    return `${this.name}: worst ${this.worst.ms} ms for ${this.worst.bytes} bytes`
  }
}
