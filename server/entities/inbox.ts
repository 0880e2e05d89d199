import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm'

export const INBOX_STATUSES = ['pending', 'done', 'ignored', 'dead'] as const
export type InboxStatus = (typeof INBOX_STATUSES)[number]

/** A decrypted WeCom callback, journaled before we answer; workers process it later. */
@Entity('inbox_events')
export class InboxEvent {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  /** sha256 of the plaintext: WeCom's re-deliveries collapse onto one row. */
  @Column({ type: 'varchar', length: 64, }) dedupeKey!: string
  @Column({ type: 'text' }) plaintext!: string
  @Column({ type: 'varchar', length: 64, default: '' }) event!: string
  @Column({ type: 'varchar', length: 64, default: '' }) changeType!: string
  @Column({ type: 'varchar', length: 16, default: 'pending' }) status!: InboxStatus
  @Column({ type: 'integer', default: 0 }) attempts!: number
  @Column({ type: 'datetime', precision: 3 }) nextAttemptAt!: Date
  @Column({ type: 'text', nullable: true }) lastError!: string | null
  @Column({ type: 'datetime', precision: 3 }) receivedAt!: Date
  @Column({ type: 'datetime', precision: 3, nullable: true }) processedAt!: Date | null
  /** When some processor must have handled it (its deadlineMs after receipt); claimed first. Null: no deadline. */
  @Column({ type: 'datetime', precision: 3, nullable: true }) deadlineAt!: Date | null
}
