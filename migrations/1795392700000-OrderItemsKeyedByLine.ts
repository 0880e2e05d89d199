import type { MigrationInterface, QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

const ITEM_COLUMNS = 'order_id, line_no, name, quantity'

/**
 * Order items keyed by (order_id, line_no), without their own id: nothing refers to an item,
 * and the id cost every insert a second index. A million-order import (two million items)
 * spent 9.2 s writing items instead of 12.2 s, and finished 1.5 s sooner. The table is copied,
 * as SQLite cannot change a primary key in place.
 */
export class OrderItemsKeyedByLine1795392700000 implements MigrationInterface {
  name = 'OrderItemsKeyedByLine1795392700000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'order_items_by_line',
      columns: [c.int('order_id', { isPrimary: true }), c.int('line_no', { isPrimary: true }), c.string('name', 255), c.int('quantity')],
      foreignKeys: [{ columnNames: ['order_id'], referencedTableName: 'orders', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
    })
    await q.query(`INSERT INTO order_items_by_line (${ITEM_COLUMNS}) SELECT ${ITEM_COLUMNS} FROM order_items`)
    await q.dropTable('order_items')
    await q.renameTable('order_items_by_line', 'order_items')
  }

  async down(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'order_items_with_id',
      columns: [c.id(), c.int('order_id'), c.int('line_no'), c.string('name', 255), c.int('quantity')],
      indices: [{ name: 'uq_order_items_order_id_line_no', columnNames: ['order_id', 'line_no'], isUnique: true }],
      foreignKeys: [{ columnNames: ['order_id'], referencedTableName: 'orders', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
    })
    await q.query(`INSERT INTO order_items_with_id (${ITEM_COLUMNS}) SELECT ${ITEM_COLUMNS} FROM order_items ORDER BY order_id, line_no`)
    await q.dropTable('order_items')
    await q.renameTable('order_items_with_id', 'order_items')
  }
}
