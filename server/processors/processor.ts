/**
 * A processor: one reaction to WeCom events (SPEC §2: inbox → processors → DB). It declares
 * which typed events it handles and, optionally, a deadline; its code gets its dependencies
 * when the registry is built. What it declares is static, so the journal can read deadlines
 * on the callback's hot path without building anything.
 */
import type { DataSource } from 'typeorm'
import type { LossAlerter } from '../bot/lossAlert'
import type { StepOutcome } from '../entities'
import type { Logger } from '../logger'
import type { Refresher } from '../mirror/refresh'
import type { WecomClient } from '../wecom/client'
import type { WecomEvent } from '../wecom/events'

type EventName = Exclude<WecomEvent['event'], 'unknown'>
type EventNamed<N extends EventName> = Extract<WecomEvent, { event: N }>

/** Per event, the change types handled: `{ change_external_contact: ['del_follow_user'] }`. */
export type Handles = { readonly [N in EventName]?: readonly EventNamed<N>['changeType'][] }

/** The typed events a `Handles` declaration admits. */
export type HandledEvent<H extends Handles> = {
  [N in keyof H & EventName]: EventNamed<N> & { changeType: NonNullable<H[N]>[number] }
}[keyof H & EventName]

/** What a step of one event is told: the inbox row's id (a key for exactly-once side effects). */
export interface StepContext {
  eventId: number
}

/** Everything a processor may need; each takes what it uses. */
export interface ProcessorDeps {
  dataSource: DataSource
  /** WeCom, for processors that act there (a welcome, a channel's tags). */
  client: WecomClient
  refresher: Refresher
  /** Absent where no message may be sent (e.g. a test that watches only the mirror). */
  alertLoss?: LossAlerter
  logger: Logger
}

/**
 * `done`: it did what the event asked of it; `ignored`: the event turned out not to concern
 * it (a record we cannot store, a member event without a userid).
 */
export type ProcessorOutcome = StepOutcome

export interface ProcessorDeclaration {
  /** Stable: it names the recorded steps, the failure metric's label and last_error. */
  readonly name: string
  readonly handles: Handles
  /** When set, events it handles are claimed before other pending work, and it runs first. */
  readonly deadlineMs?: number
  /**
   * Processors whose step on the same event must be complete first (when they handle it):
   * they come earlier in the registry. A deadline processor may depend only on deadline ones.
   */
  readonly after?: readonly string[]
}

export type ProcessorRun = (event: WecomEvent, step: StepContext) => Promise<ProcessorOutcome>

export interface ProcessorDefinition extends ProcessorDeclaration {
  create(deps: ProcessorDeps): ProcessorRun
}

/**
 * Declares a processor; `create` gets the dependencies and returns its work on one event,
 * typed by what `handles` admits (the dispatcher calls it only for those).
 */
export function defineProcessor<const H extends Handles>(definition: {
  name: string
  handles: H
  deadlineMs?: number
  after?: readonly string[]
  create(deps: ProcessorDeps): (event: HandledEvent<H>, step: StepContext) => Promise<ProcessorOutcome>
}): ProcessorDefinition {
  // Sound because the dispatcher runs it only on events `handlesEvent` admits for `handles`.
  return definition as unknown as ProcessorDefinition
}

/** Whether the processor handles this event, by its declaration. */
export function handlesEvent(processor: ProcessorDeclaration, event: WecomEvent): boolean {
  if (event.event === 'unknown') return false
  return (processor.handles[event.event] as readonly string[] | undefined)?.includes(event.changeType) ?? false
}

const deadlineKey = (event: string, changeType: string) => `${event}\u0000${changeType}`

/** How soon an event must be handled, by its Event and ChangeType names: the earliest deadline of the processors handling it. */
export interface DeadlineTable {
  deadlineMs(event: string, changeType: string): number | null
}

/** One map lookup per callback: the journal asks before every insert. */
export function deadlineTable(processors: readonly ProcessorDeclaration[]): DeadlineTable {
  const deadlines = new Map<string, number>()
  for (const { handles, deadlineMs } of processors) {
    if (deadlineMs === undefined) continue
    for (const [event, changeTypes] of Object.entries(handles) as [string, readonly string[]][]) {
      for (const changeType of changeTypes) {
        const key = deadlineKey(event, changeType)
        deadlines.set(key, Math.min(deadlines.get(key) ?? Infinity, deadlineMs))
      }
    }
  }
  return { deadlineMs: (event, changeType) => deadlines.get(deadlineKey(event, changeType)) ?? null }
}
