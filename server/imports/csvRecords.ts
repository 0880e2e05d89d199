import { StringDecoder } from 'node:string_decoder'
import type { Readable } from 'node:stream'

export interface CsvRecord {
  /** The line the record starts on (1 is the header), as an editor shows it. */
  line: number
  fields: Record<string, string>
}

/** A record of the file as read: its values in the header's order, or why it cannot be a row. */
export type CsvRow = { line: number; values: string[] } | { line: number; values: null; reason: string }

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

const SYNTAX_REASONS = {
  quoteNotClosed: 'a quoted field is never closed',
  invalidOpeningQuote: 'a field holds a quote but does not start with one (quote the whole field and double its quotes: "a ""b"" c")',
  invalidClosingQuote: 'text follows the closing quote of a field (double a quote inside a quoted field: "a ""b"" c")',
  maxRecordSize: `a record is longer than ${MAX_RECORD_BYTES} bytes (is a quote left open?)`,
}

interface Columns {
  required: string[]
  optional?: string[]
}

/**
 * The records of a CSV file (UTF-8, with or without BOM, RFC 4180 quoting), one at a time:
 * a file of any size is never held in memory. The header must name every required column;
 * a row with another number of fields comes back with `fields` null, for the caller to reject.
 * Throws CsvHeaderError for a missing header, CsvSyntaxError where the file stops being CSV.
 */
export async function* csvRecords(input: Readable, columns: Columns): AsyncGenerator<CsvRecord | { line: number; fields: null; reason: string }> {
  for await (const { header, rows } of csvRowBatches(input, columns)) {
    for (const row of rows) yield row.values ? { line: row.line, fields: fieldsByName(header, row.values) } : { line: row.line, fields: null, reason: row.reason }
  }
}

/**
 * csvRecords a stretch of the file at a time (what one read of the stream held), each row's
 * values in the order of `header`: for an importer of a million rows, one await per stretch
 * instead of one per row, and no object of fields by name.
 */
export async function* csvRowBatches(input: Readable, { required, optional = [] }: Columns): AsyncGenerator<{ header: string[]; rows: CsvRow[] }> {
  const reader = new CsvReader()
  let header: string[] | null = null
  const rowsOf = (records: RawRecord[]): CsvRow[] => {
    const rows: CsvRow[] = []
    for (const { line, values } of records) {
      // A record of one empty field is a blank line.
      if (values.length === 1 && values[0] === '') continue
      if (!header) {
        header = values.map((name) => name.trim())
        const missing = required.filter((name) => !header!.includes(name))
        if (missing.length > 0) throw new CsvHeaderError(`line ${line}: the header lacks ${missing.join(', ')} (expected ${[...required, ...optional].join(',')})`)
      } else if (values.length !== header.length) rows.push({ line, values: null, reason: `${values.length} fields where the header has ${header.length}` })
      else rows.push({ line, values })
    }
    return rows
  }
  const decoder = new StringDecoder('utf8')
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const rows = rowsOf(reader.read(typeof chunk === 'string' ? chunk : decoder.write(chunk), false))
    if (rows.length > 0) yield { header: header!, rows }
  }
  const rows = rowsOf(reader.read(decoder.end(), true))
  if (!header) throw new CsvHeaderError('the file is empty: a header row is required')
  if (rows.length > 0) yield { header, rows }
}

/** A record's fields by column name, in a loop: Object.fromEntries would cost an array per field. */
function fieldsByName(header: string[], values: string[]): Record<string, string> {
  const fields: Record<string, string> = {}
  for (let i = 0; i < header.length; i++) {
    // Assigning '__proto__' would set the prototype instead of making a field of that name.
    if (header[i] === '__proto__') Object.defineProperty(fields, '__proto__', { value: values[i], enumerable: true, writable: true, configurable: true })
    else fields[header[i]!] = values[i]!
  }
  return fields
}

interface RawRecord {
  line: number
  values: string[]
}

const QUOTE = 0x22
const COMMA = 0x2c
const CR = 0x0d
const LF = 0x0a

/** A record cut off by the end of what has been read: parse it again from its start once more has come. */
const INCOMPLETE = Symbol('incomplete')

/**
 * RFC 4180 records out of text that arrives in pieces, found with indexOf rather than a
 * character at a time. The first line break outside quotes (\r\n, \n or \r) is the one that
 * ends every record, as csv-parse (the reader before this one) had it: another kind of break
 * is text of its field. Lines are counted as an editor counts them, breaks inside fields included.
 */
class CsvReader {
  private text = ''
  private line = 1
  private bomChecked = false
  private recordDelimiter: '\r\n' | '\n' | '\r' | null = null
  // The next of each character from where the search for it last started; -1: none in the text.
  private nextComma = -1
  private nextQuote = -1
  private nextDelimiter = -1
  private nextCr = -1
  private nextLf = -1
  // The same for counting lines, searched from where records start.
  private breakCr = -1
  private breakLf = -1
  /** A syntax error after records still to be returned: thrown by the next read. */
  private failure: CsvSyntaxError | null = null

  /** The records that `more` completes; with `end`, the text is all there is. */
  read(more: string, end: boolean): RawRecord[] {
    if (this.failure) throw this.failure
    let text = this.text + more
    if (!this.bomChecked && (text.length > 0 || end)) {
      this.bomChecked = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    this.text = text
    this.nextComma = this.nextQuote = this.nextDelimiter = this.nextCr = this.nextLf = this.breakCr = this.breakLf = -2
    const records: RawRecord[] = []
    let start = 0
    try {
      while (start < text.length) {
        const parsed = this.record(start, end)
        if (parsed === INCOMPLETE) break
        const [values, contentEnd, next] = parsed
        if (this.byteLength(start, contentEnd) > MAX_RECORD_BYTES) throw new CsvSyntaxError(this.line, SYNTAX_REASONS.maxRecordSize)
        records.push({ line: this.line, values })
        this.line += 1 + this.lineBreaks(start, contentEnd)
        start = next
      }
      if (this.byteLength(start, text.length) > MAX_RECORD_BYTES) throw new CsvSyntaxError(this.line, SYNTAX_REASONS.maxRecordSize)
    } catch (error) {
      if (!(error instanceof CsvSyntaxError) || records.length === 0) throw error
      // The records before the broken one are the file's: the caller imports them first.
      this.failure = error
    }
    this.text = text.slice(start)
    return records
  }

  /** The record at `start`: its values, where its content ends and where the next record starts. */
  private record(start: number, end: boolean): [string[], number, number] | typeof INCOMPLETE {
    const text = this.text
    const values: string[] = []
    let pos = start
    for (;;) {
      let value: string
      let after: number
      if (text.charCodeAt(pos) === QUOTE) {
        value = ''
        let from = pos + 1
        for (;;) {
          const quote = text.indexOf('"', from)
          if (quote < 0 || (quote + 1 === text.length && !end)) {
            if (end) throw this.syntaxError(start, SYNTAX_REASONS.quoteNotClosed)
            return INCOMPLETE
          }
          if (text.charCodeAt(quote + 1) === QUOTE) {
            value += text.slice(from, quote + 1)
            from = quote + 2
          } else {
            value += text.slice(from, quote)
            after = quote + 1
            break
          }
        }
        if (after < text.length && text.charCodeAt(after) !== COMMA && this.delimiterAt(after, end) === 0) {
          if (text.charCodeAt(after) === CR && after + 1 === text.length && !end) return INCOMPLETE
          throw this.syntaxError(start, SYNTAX_REASONS.invalidClosingQuote)
        }
      } else {
        const comma = this.next('nextComma', ',', pos)
        const lineEnd = this.lineEnd(pos, end)
        if (lineEnd === INCOMPLETE) return INCOMPLETE
        after = comma >= 0 && (lineEnd < 0 || comma < lineEnd) ? comma : lineEnd >= 0 ? lineEnd : text.length
        if (after === text.length && !end) return INCOMPLETE
        const quote = this.next('nextQuote', '"', pos)
        if (quote >= 0 && quote < after) throw this.syntaxError(start, SYNTAX_REASONS.invalidOpeningQuote)
        value = text.slice(pos, after)
      }
      values.push(value)
      if (after < text.length && text.charCodeAt(after) === COMMA) {
        pos = after + 1
        continue
      }
      if (after === text.length) return [values, after, after]
      return [values, after, after + this.delimiterAt(after, end)]
    }
  }

  /** Where the record delimiter next starts at or after `pos`, discovering it on the first line break; -1: not in the text. */
  private lineEnd(pos: number, end: boolean): number | typeof INCOMPLETE {
    if (this.recordDelimiter !== null) return this.next('nextDelimiter', this.recordDelimiter, pos)
    const cr = this.next('nextCr', '\r', pos)
    const lf = this.next('nextLf', '\n', pos)
    const first = cr >= 0 && (lf < 0 || cr < lf) ? cr : lf
    if (first >= 0 && this.delimiterAt(first, end) === 0) return INCOMPLETE
    return first
  }

  /**
   * The length of the record delimiter at `pos`, or 0. The first line break outside quotes
   * decides which it is; a \r at the end of the text may yet be the start of a \r\n.
   */
  private delimiterAt(pos: number, end: boolean): number {
    const text = this.text
    const code = text.charCodeAt(pos)
    if (this.recordDelimiter === null) {
      if (code === LF) this.recordDelimiter = '\n'
      else if (code === CR && pos + 1 < text.length) this.recordDelimiter = text.charCodeAt(pos + 1) === LF ? '\r\n' : '\r'
      else if (code === CR && end) this.recordDelimiter = '\r'
      else return 0
      this.nextDelimiter = -2
    }
    return text.startsWith(this.recordDelimiter, pos) ? this.recordDelimiter.length : 0
  }

  /** text.indexOf(search, pos), remembered until `pos` passes it: each character is searched for once per stretch. */
  private next(cache: 'nextComma' | 'nextQuote' | 'nextDelimiter' | 'nextCr' | 'nextLf' | 'breakCr' | 'breakLf', search: string, pos: number): number {
    const known = this[cache]
    if (known === -1 || known >= pos) return known
    return (this[cache] = this.text.indexOf(search, pos))
  }

  /** Line breaks (\r\n, \r or \n) between `start` and `end`: none, found without a look at each character, in most records. */
  private lineBreaks(start: number, end: number): number {
    const cr = this.next('breakCr', '\r', start)
    const lf = this.next('breakLf', '\n', start)
    if ((cr < 0 || cr >= end) && (lf < 0 || lf >= end)) return 0
    const breaks = this.text.slice(start, end).match(/\r\n|\r|\n/g)
    return breaks ? breaks.length : 0
  }

  /** UTF-8 bytes of text[start, end), counted only when they could pass the bound. */
  private byteLength(start: number, end: number): number {
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    return (end - start) * 3 <= MAX_RECORD_BYTES ? end - start : Buffer.byteLength(this.text.slice(start, end))
  }

  /** A syntax error in the record at `start`, or the record-size error when the record is already too long to be a row. */
  private syntaxError(start: number, reason: string): CsvSyntaxError {
    return new CsvSyntaxError(this.line, this.byteLength(start, this.text.length) > MAX_RECORD_BYTES ? SYNTAX_REASONS.maxRecordSize : reason)
  }
}
