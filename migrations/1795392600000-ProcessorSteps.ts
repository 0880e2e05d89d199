import type { MigrationInterface, QueryRunner } from 'typeorm'

/** Placeholder: filled in by the processors work of issue 11 before it lands. */
export class ProcessorSteps1795392600000 implements MigrationInterface {
  name = 'ProcessorSteps1795392600000'

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
