import type { Readable } from 'node:stream'
import { parse } from 'csv-parse'

export interface CsvRecord {
  /** The line the record starts on (1 is the header), as an editor shows it. */
  line: number
  fields: Record<string, string>
}

export class CsvHeaderError extends Error {}

/**
 * The records of a CSV file (UTF-8, with or without BOM, RFC 4180 quoting), one at a time:
 * a file of any size is never held in memory. The header must name every required column;
 * a row with another number of fields comes back with `fields` null, for the caller to reject.
 */
export async function* csvRecords(
  input: Readable,
  { required, optional = [] }: { required: string[]; optional?: string[] },
): AsyncGenerator<CsvRecord | { line: number; fields: null; reason: string }> {
  const parser = input.pipe(parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: false }))
  let header: string[] | null = null
  let previousEnd = 0
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    const line = previousEnd + 1
    previousEnd = info.lines
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
    yield { line, fields: Object.fromEntries(header.map((name, i) => [name, record[i]!])) }
  }
  if (!header) throw new CsvHeaderError('the file is empty: a header row is required')
}
