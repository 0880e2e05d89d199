import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

/** What the WeCom integration needs beyond the initial model. */
export class WecomIntegration1795392100000 implements MigrationInterface {
  name = 'WecomIntegration1795392100000'

  async up(q: QueryRunner): Promise<void> {
    // One process refreshes a token while the others wait: the lease says who and until when.
    await q.addColumn('wecom_credentials', new TableColumn(c.time('lease_until', { isNullable: true })))
    // WeCom's direct_leader userids, kept to derive manager links.
    await q.addColumn('members', new TableColumn(c.text('direct_leaders', { isNullable: true })))
    // When a full sync last saw the relation in WeCom: unseen ones were removed there.
    await q.addColumn('follow_relations', new TableColumn(c.time('synced_at', { isNullable: true })))

    await createTable(q, {
      name: 'group_chats',
      columns: [
        c.id(),
        c.string('chat_id', 64),
        c.string('status', 16),
        c.string('last_change', 32),
        c.time('changed_at'),
        c.time('updated_at'),
      ],
      indices: [{ name: 'uq_group_chats_chat_id', columnNames: ['chat_id'], isUnique: true }],
    })

    await createTable(q, {
      name: 'sync_checkpoints',
      columns: [c.string('name', 32, { isPrimary: true }), c.text('state'), c.time('updated_at')],
    })
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('sync_checkpoints')
    await q.dropTable('group_chats')
    await q.dropColumn('follow_relations', 'synced_at')
    await q.dropColumn('members', 'direct_leaders')
    await q.dropColumn('wecom_credentials', 'lease_until')
  }
}
