/**
 * The registry: every processor, in the order an event's steps run.
 *
 * In sequence, not at once: steps of one event often touch the same rows (the loss alert
 * reads the status the mirror just wrote), the worker already runs several events at once,
 * and a fixed order makes every retry and log read the same. Deadline processors come first
 * and depend on none without a deadline, so a slow or failing mirror step never holds one up;
 * a failed step does not stop the steps that do not depend on it.
 */
import { contactMirror } from './contactMirror'
import { groupChats } from './groupChats'
import { lossAlert } from './lossAlert'
import { orderMatching } from './orderMatching'
import { deadlineTable, handlesEvent, type DeadlineTable, type ProcessorDefinition, type ProcessorDeps, type ProcessorRun } from './processor'
import { transferFailure } from './transferFailure'
import { welcome } from './welcome'
import { channelArrival } from './channelArrival'
import type { WecomEvent } from '../wecom/events'

export const PROCESSORS: readonly ProcessorDefinition[] = [welcome, contactMirror, groupChats, transferFailure, lossAlert, orderMatching, channelArrival]

/** Deadlines of the registry's processors, by event: what the journal stamps on each row. */
export const processorDeadlines: DeadlineTable = deadlineTable(PROCESSORS)

/** A processor ready to run: its declaration and its work, dependencies bound. */
export interface RegisteredProcessor {
  readonly name: string
  readonly after: readonly string[]
  handles(event: WecomEvent): boolean
  run: ProcessorRun
}

export interface ProcessorRegistry {
  /** In run order. */
  readonly processors: readonly RegisteredProcessor[]
  readonly deadlines: DeadlineTable
  /** The processors handling the event, in run order. */
  matching(event: WecomEvent): RegisteredProcessor[]
}

/**
 * Builds the registry: each processor gets its dependencies. Throws on a registry whose order
 * could hold a deadline up or run a step before one it depends on, so such a change fails
 * at start, not in production traffic.
 */
export function createProcessorRegistry(deps: ProcessorDeps, definitions: readonly ProcessorDefinition[] = PROCESSORS): ProcessorRegistry {
  checkOrder(definitions)
  const processors = definitions.map(
    (definition): RegisteredProcessor => ({
      name: definition.name,
      after: definition.after ?? [],
      handles: (event) => handlesEvent(definition, event),
      run: definition.create(deps),
    }),
  )
  return {
    processors,
    deadlines: deadlineTable(definitions),
    matching: (event) => processors.filter((processor) => processor.handles(event)),
  }
}

function checkOrder(definitions: readonly ProcessorDefinition[]): void {
  const seen = new Map<string, ProcessorDefinition>()
  let withoutDeadline: string | null = null
  for (const definition of definitions) {
    if (seen.has(definition.name)) throw new Error(`processor ${definition.name} is registered twice`)
    if (definition.deadlineMs === undefined) withoutDeadline ??= definition.name
    else if (withoutDeadline) throw new Error(`processor ${definition.name} has a deadline: it must come before ${withoutDeadline}, which has none`)
    for (const name of definition.after ?? []) {
      if (!seen.has(name)) throw new Error(`processor ${definition.name} runs after ${name}, which must come earlier in the registry`)
    }
    seen.set(definition.name, definition)
  }
}
