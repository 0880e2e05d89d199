import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm'
import type { Stage } from './customer'

/** A note a member wrote about a customer, with the next follow-up date and stage. */
@Entity('follow_ups')
export class FollowUp {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'integer' }) followRelationId!: number
  @Column({ type: 'integer' }) authorMemberId!: number
  @Column({ type: 'text' }) note!: string
  @Column({ type: 'date', nullable: true }) nextFollowUpOn!: string | null
  @Column({ type: 'varchar', length: 16, nullable: true }) stage!: Stage | null
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
}

/** What staff did (tagged, sent a script, bound an order …): the staff-behaviour data. */
@Entity('activity_log')
export class ActivityLog {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number
  @Column({ type: 'integer', nullable: true }) actorMemberId!: number | null
  @Column({ type: 'integer', nullable: true }) customerId!: number | null
  @Column({ type: 'varchar', length: 32 }) action!: string
  @Column({ type: 'text' }) detail!: string
  @Column({ type: 'datetime', precision: 3 }) createdAt!: Date
}
