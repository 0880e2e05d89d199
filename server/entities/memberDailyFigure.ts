import { Column, Entity, PrimaryColumn } from 'typeorm'

/** A member's follows overdue at the end of a business day (server/console/trend.ts records and reads them). */
@Entity('member_daily_figures')
export class MemberDailyFigure {
  /** YYYY-MM-DD in SCRM_TIMEZONE. */
  @PrimaryColumn({ type: 'date' }) businessDate!: string
  @PrimaryColumn({ type: 'integer' }) memberId!: number
  @Column({ type: 'integer' }) overdue!: number
  @Column({ type: 'datetime', precision: 3 }) recordedAt!: Date
}
