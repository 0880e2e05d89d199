/**
 * What WeCom sends, made fit to mirror. WeCom's records are data we do not control: one in a
 * shape we cannot read is skipped, and a value longer than its column is stored cut, so one
 * record never stops a sync or an event (and so never stops every rerun either).
 */
import { z } from 'zod'
import { cutToCodePoints, fitColumns } from '../db/fitColumns'
import type { Logger } from '../logger'

/** An optional WeCom field: absent, null or of its type; null reads as absent. */
const optional = <T extends z.ZodType>(type: T) => type.nullish().transform((value) => value ?? undefined)
const text = optional(z.string())
const number = optional(z.number())
const id = z.string().min(1)

/** The fields of WeCom's records that we read, with their types (other fields are dropped). */
export const wecomShapes = {
  externalContact: z.object({
    external_userid: id,
    name: z.string(),
    avatar: text,
    type: number,
    gender: number,
    unionid: text,
    position: text,
    corp_name: text,
    corp_full_name: text,
  }),
  followInfo: z.object({
    userid: id,
    remark: text,
    description: text,
    createtime: number,
    tags: optional(z.array(z.object({ tag_id: text, type: number }))),
    tag_id: optional(z.array(z.string())),
    remark_corp_name: text,
    remark_mobiles: optional(z.array(z.string())),
    oper_userid: text,
    add_way: number,
    state: text,
  }),
  user: z.object({
    userid: id,
    name: z.string(),
    department: optional(z.array(z.number().int())),
    is_leader_in_dept: optional(z.array(z.number())),
    direct_leader: optional(z.array(z.string())),
    main_department: optional(z.number().int()),
    avatar: text,
    status: number,
  }),
  department: z.object({ id: z.number().int(), name: z.string(), parentid: optional(z.number().int()), order: number }),
  // Tags are read one by one, so that one odd tag does not take its group with it.
  tagGroup: z.object({ group_id: id, group_name: z.string(), create_time: number, order: number, deleted: optional(z.boolean()), tag: optional(z.array(z.unknown())) }),
  tag: z.object({ id, name: z.string(), create_time: number, order: number, deleted: optional(z.boolean()) }),
}

/** A record's id field, when it is a string: to name the record in a log line, or to keep it. */
export function rawId(raw: unknown, field: string): string | undefined {
  const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[field] : undefined
  return typeof value === 'string' ? value : undefined
}

/**
 * What was cut or skipped while mirroring, for one run (a sync) or one record (an event).
 * The first of each kind (entity and field) is logged with the record's id, never the value;
 * the rest are only counted, so a WeCom-wide change cannot flood the log.
 */
export class MirrorLog {
  private readonly counts = new Map<string, number>()

  constructor(private readonly logger: Logger) {}

  cut(entity: string, id: string, fields: string[]): void {
    for (const field of fields) this.note(`${entity} ${field}`, { entity, id, field }, 'WeCom value longer than its column: stored cut')
  }

  /** An id too long for its column: left out rather than cut into another record's. */
  leftOut(entity: string, id: string, fields: string[]): void {
    for (const field of fields) this.note(`${entity} ${field}`, { entity, id, field }, 'WeCom id longer than its column: left out')
  }

  skipped(entity: string, id: string | undefined, reason: string): void {
    this.note(`${entity} skipped`, { entity, id, reason }, 'WeCom record skipped')
  }

  /** One line with the counts, when anything was noted. */
  finish(): void {
    if (this.counts.size > 0) this.logger.warn({ counts: Object.fromEntries(this.counts) }, 'WeCom records cut or skipped')
    this.counts.clear()
  }

  private note(kind: string, fields: { entity: string; id: string | undefined; field?: string; reason?: string }, message: string): void {
    const count = (this.counts.get(kind) ?? 0) + 1
    this.counts.set(kind, count)
    // An id can be as long as anything else WeCom sends.
    if (count === 1) this.logger.warn({ ...fields, id: fields.id === undefined ? undefined : cutToCodePoints(fields.id, 80) }, message)
  }
}

/** The record in the shape we read, or null when it is not (logged). */
export function readRecord<S extends z.ZodType>(log: MirrorLog, entity: string, shape: S, raw: unknown, idField: string): z.output<S> | null {
  const parsed = shape.safeParse(raw)
  if (parsed.success) return parsed.data
  log.skipped(entity, rawId(raw, idField), parsed.error.issues.map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`).join('; '))
  return null
}

/**
 * Values fitted to the entity's columns, what was cut logged; `ids` are never cut but left
 * out. Null (logged) when `key`, the field that identifies the record, does not fit.
 */
export function fitRecord<T extends object>(
  log: MirrorLog,
  { entity, id }: { entity: string; id: string },
  target: Function,
  values: T,
  { key, ids = [] }: { key?: keyof T & string; ids?: (keyof T & string)[] } = {},
): T | null {
  const fit = fitColumns(target, values, key ? [key, ...ids] : ids)
  if (key && fit.unfit.includes(key)) {
    log.skipped(entity, id, `${key} longer than its column`)
    return null
  }
  log.cut(entity, id, fit.cut)
  log.leftOut(entity, id, fit.unfit)
  return fit.values
}
