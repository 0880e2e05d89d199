import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

/** What the bot needs: run and delivery leases, kept messages, and the console's manager overrides. */
export class Bot1795392300000 implements MigrationInterface {
  name = 'Bot1795392300000'

  async up(q: QueryRunner): Promise<void> {
    // A claimed run renews its lease while it works; a crashed one's lease runs out and the
    // next run takes over (its deliveries ledger says what was already sent).
    await q.addColumn('job_runs', new TableColumn(c.time('lease_until', { isNullable: true })))
    // A delivery is claimed too ('sending' until then), so two senders never both send it;
    // the message is kept, so that a resend after a crash is the same bytes (WeCom drops
    // identical app messages within its duplicate-check interval).
    await q.addColumn('job_deliveries', new TableColumn(c.string('claimed_by', 128, { isNullable: true })))
    await q.addColumn('job_deliveries', new TableColumn(c.time('lease_until', { isNullable: true })))
    await q.addColumn('job_deliveries', new TableColumn(c.text('payload', { isNullable: true })))

    // Set by the console: when a member has any, they are the member's managers, whatever
    // WeCom's direct_leader and department leaders say.
    await createTable(q, {
      name: 'manager_overrides',
      columns: [c.int('member_id', { isPrimary: true }), c.int('manager_id', { isPrimary: true }), c.time('created_at')],
      indices: [{ name: 'ix_manager_overrides_manager_id', columnNames: ['manager_id'] }],
      foreignKeys: [
        { columnNames: ['member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        { columnNames: ['manager_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
    })
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('manager_overrides')
    await q.dropColumn('job_deliveries', 'payload')
    await q.dropColumn('job_deliveries', 'lease_until')
    await q.dropColumn('job_deliveries', 'claimed_by')
    await q.dropColumn('job_runs', 'lease_until')
  }
}
