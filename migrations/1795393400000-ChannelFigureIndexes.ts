import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm'

const CHANNEL_ADDED = new TableIndex({ name: 'ix_follow_relations_channel_id_added_at', columnNames: ['channel_id', 'added_at'] })
/** Everything the channel figures read of an arrival: read from the index alone. */
const CHANNEL_FIGURES = new TableIndex({ name: 'ix_follow_relations_channel_figures', columnNames: ['channel_id', 'added_at', 'status', 'status_changed_at', 'customer_id'] })

/**
 * Channel figures (SPEC §7: 200 channels, 1M customers, 90 days ≤ 500 ms): on the benchmark
 * company the arrivals' query read 246,576 follows through the channel index and then each
 * follow's row, over 60 s with MariaDB's 128 MB buffer pool; from this index alone, 0.36 s.
 * It replaces the index it starts with.
 */
export class ChannelFigureIndexes1795393400000 implements MigrationInterface {
  name = 'ChannelFigureIndexes1795393400000'

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('follow_relations', CHANNEL_FIGURES)
    await q.dropIndex('follow_relations', CHANNEL_ADDED)
  }

  async down(q: QueryRunner): Promise<void> {
    await q.createIndex('follow_relations', CHANNEL_ADDED)
    await q.dropIndex('follow_relations', CHANNEL_FIGURES)
  }
}
