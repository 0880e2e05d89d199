import { TableColumn, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm'
import { column as c } from '../server/db/columns'

/**
 * Bot1795392300000 and OrderSources1795392400000 were edited after they landed: a database
 * migrated before those edits has both recorded as run but lacks the columns they gained.
 * Adds whichever of them is missing, so that such a database and a fresh one end up alike.
 */
export class RepairEditedMigrations1795392500000 implements MigrationInterface {
  name = 'RepairEditedMigrations1795392500000'

  async up(q: QueryRunner): Promise<void> {
    // Added to Bot1795392300000 by 7a30b9a: delivery claims and the message as first planned.
    await addMissingColumns(q, 'job_deliveries', [
      c.string('claimed_by', 128, { isNullable: true }),
      c.time('lease_until', { isNullable: true }),
      c.text('payload', { isNullable: true }),
    ])
    // Added to OrderSources1795392400000 by 9dd5e4c (items_digest) and d4cef4f (version_at).
    await addMissingColumns(q, 'orders', [c.string('items_digest', 32, { default: "''" }), c.time('version_at', { isNullable: true })])
  }

  // The columns belong to the two edited migrations, whose down() drops them: nothing to undo here.
  async down(_q: QueryRunner): Promise<void> {}
}

/** Adds each column the table does not have yet, in the given order. */
async function addMissingColumns(q: QueryRunner, tableName: string, columns: TableColumnOptions[]): Promise<void> {
  const table = await q.getTable(tableName)
  if (!table) throw new Error(`table ${tableName} is missing: earlier migrations have not run`)
  const missing = columns.filter((column) => !table.findColumnByName(column.name))
  // One call: on SQLite every addColumn rebuilds the table.
  if (missing.length > 0) await q.addColumns(tableName, missing.map((column) => new TableColumn(column)))
}
