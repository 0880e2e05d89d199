import type { DataSource } from 'typeorm'
import { ProcessorStep, type StepOutcome } from '../entities'
import type { ProcessorRegistry } from '../processors'
import { parseEvent } from '../wecom/events'
import { StepsFailed, type InboxHandler } from './worker'

/**
 * Turns inbox rows into processor steps: parses the row once, runs every processor that
 * handles the event in registry order, and records each step as it completes, so a retried
 * event runs only the steps not yet done. A failed step stops only those that depend on it;
 * the others run, and the failures are thrown together, naming their processors.
 * The row's outcome: ignored when no processor handles the event or every one ignored it.
 */
export function createDispatcher(dataSource: DataSource, registry: ProcessorRegistry): InboxHandler {
  const steps = dataSource.getRepository(ProcessorStep)

  return async function dispatchInboxEvent(row) {
    const event = parseEvent(row.plaintext)
    const matching = registry.matching(event)
    if (matching.length === 0) return 'ignored'
    const completed = new Map<string, StepOutcome>(
      (await steps.find({ select: { processor: true, outcome: true }, where: { inboxEventId: row.id } })).map((step) => [step.processor, step.outcome]),
    )
    const handling = new Set(matching.map((processor) => processor.name))
    const failures: { processor: string; error: unknown }[] = []
    for (const processor of matching) {
      if (completed.has(processor.name)) continue
      // A prerequisite that failed now is retried with the event; this step waits for it.
      if (processor.after.some((name) => handling.has(name) && !completed.has(name))) continue
      try {
        const outcome = await processor.run(event, { eventId: row.id })
        // Ignored if another worker recorded it meanwhile (a claim that outlived its lease).
        await steps.createQueryBuilder().insert().values({ inboxEventId: row.id, processor: processor.name, outcome, completedAt: new Date() }).orIgnore().execute()
        completed.set(processor.name, outcome)
      } catch (error) {
        failures.push({ processor: processor.name, error })
      }
    }
    if (failures.length > 0) throw new StepsFailed(failures)
    return [...completed.values()].includes('done') ? 'done' : 'ignored'
  }
}
