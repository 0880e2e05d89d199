import type { Readable } from 'node:stream'
import { CsvError, parse } from 'csv-parse'

export interface CsvRecord {
  /** The line the record starts on (1 is the header), as an editor shows it. */
  line: number
  fields: Record<string, string>
}

export class CsvHeaderError extends Error {}

/** Broken quoting, or a record too long to be a row: the file cannot be read on from there. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}; the import stopped there (rows before it are imported; fix the file and import it again)`)
  }
}

/**
 * Bytes a record may hold. A script is at most 4,000 characters and an order 200 items, so a
 * longer record is a quote left open: without a bound, it would read the rest of the file into memory.
 */
export const MAX_RECORD_BYTES = 1024 * 1024

const SYNTAX_REASONS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  INVALID_OPENING_QUOTE: 'a field holds a quote but does not start with one (quote the whole field and double its quotes: "a ""b"" c")',
  CSV_INVALID_CLOSING_QUOTE: 'text follows the closing quote of a field (double a quote inside a quoted field: "a ""b"" c")',
  CSV_MAX_RECORD_SIZE: `a record is longer than ${MAX_RECORD_BYTES} bytes (is a quote left open?)`,
}

/**
 * The records of a CSV file (UTF-8, with or without BOM, RFC 4180 quoting), one at a time:
 * a file of any size is never held in memory. The header must name every required column;
 * a row with another number of fields comes back with `fields` null, for the caller to reject.
 * Throws CsvHeaderError for a missing header, CsvSyntaxError where the file stops being CSV.
 */
export async function* csvRecords(
  input: Readable,
  { required, optional = [] }: { required: string[]; optional?: string[] },
): AsyncGenerator<CsvRecord | { line: number; fields: null; reason: string }> {
  // Lines are counted here, not by csv-parse, which counts the \r and the \n of a CRLF inside
  // quotes as two lines. The parser runs ahead of us: `startLines` holds the lines of the records
  // it parsed and we have not read yet, `nextLine` is where a syntax error's record began.
  let nextLine = 1
  const startLines: number[] = []
  const parser = input.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: false,
      max_record_size: MAX_RECORD_BYTES,
      on_record: (fields) => {
        startLines.push(nextLine)
        nextLine++
        for (const field of fields) nextLine += lineBreaks(field)
        return fields
      },
    }),
  )
  try {
    yield* records(parser as AsyncIterable<string[]>, () => startLines.shift()!, required, optional)
  } catch (error) {
    if (error instanceof CsvError) throw new CsvSyntaxError(nextLine, SYNTAX_REASONS[error.code] ?? error.message)
    throw error
  }
}

/** Line breaks in a field, as an editor counts them (\r\n, \r or \n); cheap for the usual field without any. */
const lineBreaks = (field: string) => (field.includes('\n') || field.includes('\r') ? field.match(/\r\n|\r|\n/g)!.length : 0)

/** A record's fields by column name, in a loop: Object.fromEntries would cost an array per field. */
function fieldsByName(header: string[], record: string[]): Record<string, string> {
  const fields: Record<string, string> = {}
  for (let i = 0; i < header.length; i++) {
    // Assigning '__proto__' would set the prototype instead of making a field of that name.
    if (header[i] === '__proto__') Object.defineProperty(fields, '__proto__', { value: record[i], enumerable: true, writable: true, configurable: true })
    else fields[header[i]!] = record[i]!
  }
  return fields
}

async function* records(parser: AsyncIterable<string[]>, lineOf: () => number, required: string[], optional: string[]) {
  let header: string[] | null = null
  for await (const record of parser) {
    const line = lineOf()
    if (record.length === 1 && record[0] === '') continue
    if (!header) {
      header = record.map((name) => name.trim())
      const missing = required.filter((name) => !header!.includes(name))
      if (missing.length > 0) throw new CsvHeaderError(`line ${line}: the header lacks ${missing.join(', ')} (expected ${[...required, ...optional].join(',')})`)
      continue
    }
    if (record.length !== header.length) {
      yield { line, fields: null, reason: `${record.length} fields where the header has ${header.length}` }
      continue
    }
    yield { line, fields: fieldsByName(header, record) }
  }
  if (!header) throw new CsvHeaderError('the file is empty: a header row is required')
}
