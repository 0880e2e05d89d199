import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

/**
 * Shop systems that post orders to the webhook, and the orders still waiting for their
 * customer. Late matching used to search four indexes on every order; an index over the
 * few waiting ones costs far less to keep as a million orders come in.
 */
export class OrderSources1795392400000 implements MigrationInterface {
  name = 'OrderSources1795392400000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'order_sources',
      columns: [
        c.id(),
        // The :source of POST /api/integrations/orders/:source.
        c.string('name', 32),
        // The shop platform its orders belong to, as in the CSV's platform column.
        c.string('platform', 32),
        // Kept as is: verifying an HMAC needs the secret itself. Never logged or shown again.
        c.string('secret', 64),
        c.time('created_at'),
        c.time('rotated_at', { isNullable: true }),
      ],
      indices: [{ name: 'uq_order_sources_name', columnNames: ['name'], isUnique: true }],
    })

    await createTable(q, {
      name: 'order_waits',
      columns: [
        c.int('order_id', { isPrimary: true }),
        // 'external_userid', 'unionid', 'phone' or 'buyer_id'.
        c.string('kind', 16, { isPrimary: true }),
        // The order's platform for buyer ids, '' otherwise.
        c.string('platform', 32, { default: "''" }),
        c.string('value', 128),
      ],
      indices: [{ name: 'ix_order_waits_kind_platform_value', columnNames: ['kind', 'platform', 'value'] }],
      foreignKeys: [{ columnNames: ['order_id'], referencedTableName: 'orders', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
    })
    for (const [kind, column, platform] of [['external_userid', 'external_userid', "''"], ['unionid', 'unionid', "''"], ['phone', 'phone', "''"], ['buyer_id', 'buyer_id', 'platform']] as const) {
      await q.query(`INSERT INTO order_waits (order_id, kind, platform, value) SELECT id, '${kind}', ${platform}, ${column} FROM orders WHERE customer_id IS NULL AND ${column} IS NOT NULL`)
    }
    for (const name of ['ix_orders_external_userid', 'ix_orders_unionid', 'ix_orders_phone', 'ix_orders_platform_buyer_id']) await q.dropIndex('orders', name)
    // A digest of the order's items: an update that brings the same items leaves them alone.
    await q.addColumn('orders', new TableColumn(c.string('items_digest', 32, { default: "''" })))
    // When the version we keep was stated (a webhook request's timestamp, an import's start):
    // an older request, retried or replayed late, cannot set an order back.
    await q.addColumn('orders', new TableColumn(c.time('version_at', { isNullable: true })))
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('orders', 'version_at')
    await q.dropColumn('orders', 'items_digest')
    await q.createIndices('orders', [
      new TableIndex({ name: 'ix_orders_external_userid', columnNames: ['external_userid'] }),
      new TableIndex({ name: 'ix_orders_unionid', columnNames: ['unionid'] }),
      new TableIndex({ name: 'ix_orders_phone', columnNames: ['phone'] }),
      new TableIndex({ name: 'ix_orders_platform_buyer_id', columnNames: ['platform', 'buyer_id'] }),
    ])
    await q.dropTable('order_waits')
    await q.dropTable('order_sources')
  }
}
