import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm'

/**
 * One message (or WeCom task) in the outbox: sent once per key, whatever the retries. The
 * table keeps the name it had when only jobs sent messages.
 */
@Entity('job_deliveries')
export class OutboxMessage {
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
  /** While 'sending': who (see processIdentity's owners), until when. */
  @Column({ type: 'varchar', length: 128, nullable: true }) claimedBy!: string | null
  @Column({ type: 'datetime', precision: 3, nullable: true }) leaseUntil!: Date | null
  /** The message as first planned, as JSON: what every attempt sends. */
  @Column({ type: 'text', nullable: true }) payload!: string | null
}
