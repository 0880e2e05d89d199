import type { MigrationInterface, QueryRunner } from 'typeorm'

/** Placeholder: filled in by the repair work of issue 11 before it lands. */
export class RepairEditedMigrations1795392500000 implements MigrationInterface {
  name = 'RepairEditedMigrations1795392500000'

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
