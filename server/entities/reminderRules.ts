import { Column, Entity, PrimaryColumn } from 'typeorm'
import { jsonText } from '../db/columns'
import type { Stage } from '../api/contract'

/** The company's reminder rules (server/rules/reminderRules.ts): the one row, id 1. */
@Entity('reminder_rules')
export class ReminderRulesRow {
  @PrimaryColumn({ type: 'integer' }) id!: number
  @Column({ type: 'integer' }) newCustomerGraceHours!: number
  @Column({ type: 'text', transformer: jsonText }) followUpDays!: Partial<Record<Stage, number>>
  /** 'HH:MM' in SCRM_TIMEZONE; null: DIGEST_CRON. */
  @Column({ type: 'varchar', length: 5, nullable: true }) digestTime!: string | null
  @Column({ type: 'integer', nullable: true }) updatedByMemberId!: number | null
  @Column({ type: 'datetime', precision: 3, nullable: true }) updatedAt!: Date | null
}

/** A manager's team group robot: their team's digest goes there too. The key is a secret. */
@Entity('team_robots')
export class TeamRobot {
  @PrimaryColumn({ type: 'integer' }) managerId!: number
  @Column({ type: 'varchar', length: 64 }) robotKey!: string
  @Column({ type: 'integer', nullable: true }) updatedByMemberId!: number | null
  @Column({ type: 'datetime', precision: 3 }) updatedAt!: Date
}
