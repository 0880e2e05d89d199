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

/** One message of a job run to one recipient: delivered once, whatever the retries. */
@Entity('job_deliveries')
export class JobDelivery {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'varchar', length: 32 }) job!: string
  @Column({ type: 'date' }) businessDate!: string
  @Column({ type: 'varchar', length: 128 }) recipient!: string
  /** 'pending', 'sending' (claimed until lease_until), 'sent', 'invalid' (WeCom's invaliduser) or 'failed'. */
  @Column({ type: 'varchar', length: 16 }) status!: string
  @Column({ type: 'integer', default: 0 }) attempts!: number
  @Column({ type: 'text', nullable: true }) lastError!: string | null
  @Column({ type: 'datetime', precision: 3, nullable: true }) sentAt!: Date | null
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
  /** While 'sending': who (see runLedger's owners), until when. */
  @Column({ type: 'varchar', length: 128, nullable: true }) claimedBy!: string | null
  @Column({ type: 'datetime', precision: 3, nullable: true }) leaseUntil!: Date | null
  /** The message as first planned: what every attempt sends. */
  @Column({ type: 'text', nullable: true }) payload!: string | null
}
