import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm'
import { column as c } from '../server/db/columns'

/**
 * When each order source last delivered an order (the console's 订单来源 shows it): written by
 * the webhook with the orders, since reading it off the orders would scan them (no index on source).
 */
export class OrderSourceLastOrder1795392900000 implements MigrationInterface {
  name = 'OrderSourceLastOrder1795392900000'

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('order_sources', new TableColumn(c.time('last_order_at', { isNullable: true })))
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('order_sources', 'last_order_at')
  }
}
