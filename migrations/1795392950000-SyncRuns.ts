import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

/**
 * The console's 系统 page (SPEC §3.5, §4.6): the full syncs it started, with their progress
 * and outcome (the sync's checkpoint is gone once a sync ends), one at a time by a unique key
 * held while running; the dead letters newest first, and the activity log by action.
 */
export class SyncRuns1795392950000 implements MigrationInterface {
  name = 'SyncRuns1795392950000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'sync_runs',
      columns: [
        c.id(),
        c.string('origin', 16),
        c.int('actor_member_id', { isNullable: true }),
        c.string('status', 16),
        // 'full-sync' while running, NULL after: NULLs never collide in a unique index.
        c.string('running_key', 16, { isNullable: true }),
        c.string('claimed_by', 128),
        c.time('started_at'),
        c.time('finished_at', { isNullable: true }),
        c.time('lease_until', { isNullable: true }),
        c.text('progress'),
        c.text('summary', { isNullable: true }),
        c.text('error', { isNullable: true }),
      ],
      indices: [{ name: 'uq_sync_runs_running_key', columnNames: ['running_key'], isUnique: true }],
      foreignKeys: [{ columnNames: ['actor_member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'SET NULL' }],
    })
    // Dead letters newest first, paged by id.
    await q.createIndex('inbox_events', new TableIndex({ name: 'ix_inbox_events_status_id', columnNames: ['status', 'id'] }))
    // The activity log filtered by action, newest first.
    await q.createIndex('activity_log', new TableIndex({ name: 'ix_activity_log_action_id', columnNames: ['action', 'id'] }))
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('activity_log', 'ix_activity_log_action_id')
    await q.dropIndex('inbox_events', 'ix_inbox_events_status_id')
    await q.dropTable('sync_runs')
  }
}
