/**
 * Values fitted to an entity's varchar columns. The lengths are read from the entity's own
 * column decorators, so there is one list and it cannot drift from the entity (a test holds
 * the entities to the migrated schema).
 */
import { getMetadataArgsStorage } from 'typeorm'

interface VarcharColumn {
  length: number
  nullable: boolean
}

const varcharsByEntity = new Map<Function, Map<string, VarcharColumn>>()

/** An entity's varchar columns by property name. */
export function varcharColumns(entity: Function): Map<string, VarcharColumn> {
  let columns = varcharsByEntity.get(entity)
  if (!columns) {
    columns = new Map(
      getMetadataArgsStorage()
        .filterColumns(entity)
        .filter((column) => column.options.type === 'varchar' && column.options.length !== undefined)
        .map((column) => [column.propertyName, { length: Number(column.options.length), nullable: column.options.nullable === true }]),
    )
    varcharsByEntity.set(entity, columns)
  }
  return columns
}

/**
 * At most `max` characters of `value`, counted as MySQL's utf8mb4 varchar counts them: code
 * points. A cut never splits a surrogate pair (half an emoji would be stored as U+FFFD).
 */
export function cutToCodePoints(value: string, max: number): string {
  // A string's UTF-16 length is at least its number of code points.
  if (value.length <= max) return value
  const points = [...value]
  return points.length <= max ? value : points.slice(0, max).join('')
}

export interface ColumnFit<T> {
  values: T
  /** Text fields that were cut to their column. */
  cut: (keyof T & string)[]
  /** Id fields too long for their column, left out: null, or '' where the column takes no null. */
  unfit: (keyof T & string)[]
}

/**
 * Fits `values` to the entity's varchar columns: text is cut by code point; the fields named
 * in `ids` never are, since a cut id could be another record's, and are left out instead.
 */
export function fitColumns<T extends object>(entity: Function, values: T, ids: readonly (keyof T & string)[] = []): ColumnFit<T> {
  const columns = varcharColumns(entity)
  const fitted = { ...values } as Record<string, unknown>
  const cut: (keyof T & string)[] = []
  const unfit: (keyof T & string)[] = []
  for (const [field, value] of Object.entries(values) as [keyof T & string, unknown][]) {
    const column = columns.get(field)
    if (!column || typeof value !== 'string' || value.length <= column.length) continue
    const kept = cutToCodePoints(value, column.length)
    if (kept === value) continue
    if (ids.includes(field)) {
      fitted[field] = column.nullable ? null : ''
      unfit.push(field)
    } else {
      fitted[field] = kept
      cut.push(field)
    }
  }
  return { values: fitted as T, cut, unfit }
}
