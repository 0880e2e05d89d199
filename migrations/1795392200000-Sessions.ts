import type { MigrationInterface, QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

/** Staff sessions of the sidebar and console. */
export class Sessions1795392200000 implements MigrationInterface {
  name = 'Sessions1795392200000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'sessions',
      columns: [
        // sha256 of the cookie's token: a leaked table does not hand out sessions.
        c.string('token_hash', 64, { isPrimary: true }),
        c.int('member_id'),
        c.string('csrf_token', 64),
        c.time('created_at'),
        c.time('last_seen_at'),
        c.time('expires_at'),
      ],
      indices: [{ name: 'ix_sessions_member_id', columnNames: ['member_id'] }],
      foreignKeys: [{ columnNames: ['member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
    })
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('sessions')
  }
}
