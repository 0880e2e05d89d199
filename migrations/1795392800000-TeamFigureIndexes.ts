import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm'

const OLD_FOLLOW_INDEX = new TableIndex({ name: 'ix_follow_relations_member_id_status_next_follow_up_on', columnNames: ['member_id', 'status', 'next_follow_up_on'] })
/**
 * Everything the follow-up figures read of a follow (server/rules/followUps.ts, the digest's
 * lost customers), after the member: a team's figures are then read from the index alone.
 * On the 1M-customer company a 50-member team's 75,000 follows lie on as many table pages,
 * and reading them took 3.4 s. It starts with the old index's columns, which it replaces.
 */
const FOLLOW_FIGURES_INDEX = new TableIndex({
  name: 'ix_follow_relations_member_figures',
  columnNames: ['member_id', 'status', 'next_follow_up_on', 'last_followed_up_at', 'added_at', 'status_changed_at'],
})
/** The follow-ups a member wrote since a date (the console's 近7天跟进), without reading the table. */
const FOLLOW_UPS_BY_AUTHOR_INDEX = new TableIndex({ name: 'ix_follow_ups_author_member_id_created_at', columnNames: ['author_member_id', 'created_at'] })

const AUTHOR_INDEX = new TableIndex({ name: 'ix_follow_ups_author_member_id', columnNames: ['author_member_id'] })

/** Indexes for the console's team page (SPEC §7: p95 ≤ 200 ms for a 50-member team on the 1M company). */
export class TeamFigureIndexes1795392800000 implements MigrationInterface {
  name = 'TeamFigureIndexes1795392800000'

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('follow_relations', FOLLOW_FIGURES_INDEX)
    await q.dropIndex('follow_relations', OLD_FOLLOW_INDEX)
    await q.createIndex('follow_ups', FOLLOW_UPS_BY_AUTHOR_INDEX)
  }

  async down(q: QueryRunner): Promise<void> {
    // MySQL let the new index serve the foreign key on author_member_id and dropped the one it
    // had made for it: the key needs an index of its own again before this one can go.
    await q.createIndex('follow_ups', AUTHOR_INDEX)
    await q.dropIndex('follow_ups', FOLLOW_UPS_BY_AUTHOR_INDEX)
    await q.createIndex('follow_relations', OLD_FOLLOW_INDEX)
    await q.dropIndex('follow_relations', FOLLOW_FIGURES_INDEX)
  }
}
