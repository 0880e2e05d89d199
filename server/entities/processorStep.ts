import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm'

export const STEP_OUTCOMES = ['done', 'ignored'] as const
export type StepOutcome = (typeof STEP_OUTCOMES)[number]

/** One processor's completed work on one inbox event: a retried event skips it. */
@Entity('processor_steps')
export class ProcessorStep {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'integer' }) inboxEventId!: number
  /** The processor's name in the registry (server/processors/index.ts). */
  @Column({ type: 'varchar', length: 64 }) processor!: string
  @Column({ type: 'varchar', length: 16 }) outcome!: StepOutcome
  @Column({ type: 'datetime', precision: 3 }) completedAt!: Date
}
