import type { MigrationInterface, QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

/**
 * 提醒规则 (SPEC §4.6): the company's reminder rules, one row that every process reads when
 * it judges (so a change applies at once everywhere), and a group robot per manager's team.
 * The row starts with SPEC §4.4's defaults: 24 h of grace, no default intervals, and the
 * digest at DIGEST_CRON (digest_time NULL).
 */
export class ReminderRules1795393000000 implements MigrationInterface {
  name = 'ReminderRules1795393000000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'reminder_rules',
      columns: [
        c.int('id', { isPrimary: true }),
        c.int('new_customer_grace_hours'),
        // JSON: days from the follow-up to the next one, per stage ({"意向": 3}); a stage left out sets no date.
        c.text('follow_up_days'),
        // 'HH:MM' in SCRM_TIMEZONE, every day; NULL: DIGEST_CRON.
        c.string('digest_time', 5, { isNullable: true }),
        c.int('updated_by_member_id', { isNullable: true }),
        c.time('updated_at', { isNullable: true }),
      ],
      foreignKeys: [{ columnNames: ['updated_by_member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'SET NULL' }],
    })
    await q.query("INSERT INTO reminder_rules (id, new_customer_grace_hours, follow_up_days, digest_time) VALUES (1, 24, '{}', NULL)")

    await createTable(q, {
      name: 'team_robots',
      columns: [
        c.int('manager_id', { isPrimary: true }),
        // A secret: sent to WeCom only, never answered or logged.
        c.string('robot_key', 64),
        c.int('updated_by_member_id', { isNullable: true }),
        c.time('updated_at'),
      ],
      foreignKeys: [
        { columnNames: ['manager_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        { columnNames: ['updated_by_member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'SET NULL' },
      ],
    })
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('team_robots')
    await q.dropTable('reminder_rules')
  }
}
