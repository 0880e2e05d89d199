import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

/**
 * Processors (SPEC §2): each (inbox event, processor) step is recorded as it completes, so a
 * retried event runs only the steps that failed. Events some processor must handle by a
 * deadline carry it, and workers claim them before other pending work.
 */
export class ProcessorSteps1795392600000 implements MigrationInterface {
  name = 'ProcessorSteps1795392600000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'processor_steps',
      columns: [
        c.id(),
        c.int('inbox_event_id'),
        // The processor's registry name, e.g. 'contact-mirror'.
        c.string('processor', 64),
        // 'done' or 'ignored' (the event turned out not to concern the processor).
        c.string('outcome', 16),
        c.time('completed_at'),
      ],
      indices: [{ name: 'uq_processor_steps_inbox_event_id_processor', columnNames: ['inbox_event_id', 'processor'], isUnique: true }],
      foreignKeys: [{ columnNames: ['inbox_event_id'], referencedTableName: 'inbox_events', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
    })
    // Null for events no processor handles by a deadline: the claim's range scan skips them.
    await q.addColumn('inbox_events', new TableColumn(c.time('deadline_at', { isNullable: true })))
    await q.createIndex('inbox_events', new TableIndex({ name: 'ix_inbox_events_status_deadline_at', columnNames: ['status', 'deadline_at'] }))
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('inbox_events', 'ix_inbox_events_status_deadline_at')
    await q.dropColumn('inbox_events', 'deadline_at')
    await q.dropTable('processor_steps')
  }
}
