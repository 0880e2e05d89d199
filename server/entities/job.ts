import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm'

/** One run of a scheduled job for one business date, claimed before any work. */
@Entity('job_runs')
export class JobRun {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 32 }) job!: string
  @Column({ type: 'date' }) businessDate!: string
  /** 'running', 'done' or 'failed'. */
  @Column({ type: 'varchar', length: 16 }) status!: string
  /** host:pid of the process that claimed it. */
  @Column({ type: 'varchar', length: 128 }) claimedBy!: string
  @Column({ type: 'datetime', precision: 3 }) startedAt!: Date
  @Column({ type: 'datetime', precision: 3, nullable: true }) finishedAt!: Date | null
  @Column({ type: 'text', nullable: true }) summary!: string | null
  /** While running: the claim holds until then, renewed as the run works. */
  @Column({ type: 'datetime', precision: 3, nullable: true }) leaseUntil!: Date | null
}
