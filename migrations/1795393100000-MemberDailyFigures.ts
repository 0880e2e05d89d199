import type { MigrationInterface, QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

/**
 * 团队's 30-day chart (SPEC §4.6): each member's follows overdue at the end of each business
 * day, recorded by the team-figures job just after it. Follow-ups written, customers added
 * and customers lost are read from their own rows for any past day; whether a follow was
 * overdue on a past day is not (its next follow-up date has moved on since).
 */
export class MemberDailyFigures1795393100000 implements MigrationInterface {
  name = 'MemberDailyFigures1795393100000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'member_daily_figures',
      columns: [
        // A team's range of days is read by date first, then its members.
        c.date('business_date', { isPrimary: true }),
        c.int('member_id', { isPrimary: true }),
        c.int('overdue'),
        c.time('recorded_at'),
      ],
      foreignKeys: [{ columnNames: ['member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
    })
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('member_daily_figures')
  }
}
