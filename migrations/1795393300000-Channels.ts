import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

/** A welcome message's columns, the same on a channel and on the company's default. */
const welcomeColumns = () => [
  c.text('welcome_text', { isNullable: true }),
  // JSON {title, url, desc?, picurl?}: a link card after the text.
  c.text('welcome_link', { isNullable: true }),
  c.int('welcome_image_id', { isNullable: true }),
]
const imageKey = { columnNames: ['welcome_image_id'], referencedTableName: 'media_assets', referencedColumnNames: ['id'], onDelete: 'SET NULL' }

/**
 * 渠道活码 (SPEC §4.8): channels, each with its own 「联系我」 way in WeCom; the images their
 * welcomes carry (uploaded to WeCom, whose media ids last 3 days); the company's default
 * welcome; each welcome's outcome; and the channel a follow came through, first and latest.
 */
export class Channels1795393300000 implements MigrationInterface {
  name = 'Channels1795393300000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'media_assets',
      columns: [
        c.id(),
        c.string('file_name', 128),
        c.string('content_type', 32),
        c.int('byte_length'),
        c.string('sha256', 64),
        // Base64: the same column on both databases; images are at most 2 MB.
        c.largeText(q, 'content_base64'),
        c.string('media_id', 128, { isNullable: true }),
        c.time('uploaded_at', { isNullable: true }),
        c.time('created_at'),
      ],
    })

    await createTable(q, {
      name: 'channels',
      columns: [
        c.id(),
        c.string('name', 64),
        c.string('platform', 16),
        // The 「联系我」 state: 'ch_' and random letters, unique and never given to another channel (deleted ones keep theirs).
        c.string('state', 30),
        c.bool('skip_verify', true),
        ...welcomeColumns(),
        c.string('note', 255, { default: "''" }),
        // 'creating' until WeCom's config_id is stored; 'active'; 'gone' when WeCom no longer has the way.
        c.string('wecom_status', 16),
        c.string('config_id', 64, { isNullable: true }),
        c.string('qr_code', 512, { isNullable: true }),
        // While 'creating': who is creating it, until when (a lapsed claim is taken over and finished).
        c.string('claimed_by', 128, { isNullable: true }),
        c.time('lease_until', { isNullable: true }),
        // The console form's key for one 保存: a retried request finds the channel it made.
        c.string('request_key', 64, { isNullable: true }),
        c.int('created_by_member_id', { isNullable: true }),
        c.time('created_at'),
        c.time('updated_at'),
        c.time('deleted_at', { isNullable: true }),
      ],
      indices: [
        { name: 'uq_channels_state', columnNames: ['state'], isUnique: true },
        { name: 'uq_channels_config_id', columnNames: ['config_id'], isUnique: true },
        { name: 'uq_channels_request_key', columnNames: ['request_key'], isUnique: true },
      ],
      foreignKeys: [imageKey, { columnNames: ['created_by_member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'SET NULL' }],
    })
    await createTable(q, {
      name: 'channel_members',
      columns: [c.int('channel_id', { isPrimary: true }), c.int('member_id', { isPrimary: true })],
      foreignKeys: [
        { columnNames: ['channel_id'], referencedTableName: 'channels', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        { columnNames: ['member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
    })
    await createTable(q, {
      name: 'channel_tags',
      columns: [c.int('channel_id', { isPrimary: true }), c.int('tag_id', { isPrimary: true })],
      foreignKeys: [
        { columnNames: ['channel_id'], referencedTableName: 'channels', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        { columnNames: ['tag_id'], referencedTableName: 'tags', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
    })

    await createTable(q, {
      name: 'default_welcome',
      columns: [c.int('id', { isPrimary: true }), ...welcomeColumns(), c.int('updated_by_member_id', { isNullable: true }), c.time('updated_at', { isNullable: true })],
      foreignKeys: [imageKey, { columnNames: ['updated_by_member_id'], referencedTableName: 'members', referencedColumnNames: ['id'], onDelete: 'SET NULL' }],
    })

    await createTable(q, {
      name: 'welcome_sends',
      columns: [
        c.id(),
        // One welcome per add event, whatever the number of times the event is handled.
        c.int('inbox_event_id'),
        c.string('userid', 64),
        c.string('external_userid', 64),
        c.int('channel_id', { isNullable: true }),
        // 'sent', 'missed' (past its deadline), 'taken' (41051), 'expired' (41050), 'failed', 'none' (nothing to send).
        c.string('outcome', 16),
        c.int('wecom_code', { isNullable: true }),
        c.time('event_at'),
        c.time('deadline_at'),
        c.time('finished_at'),
      ],
      indices: [{ name: 'uq_welcome_sends_inbox_event_id', columnNames: ['inbox_event_id'], isUnique: true }],
      foreignKeys: [{ columnNames: ['channel_id'], referencedTableName: 'channels', referencedColumnNames: ['id'], onDelete: 'SET NULL' }],
    })

    // No foreign keys to channels here: a channel is never deleted (deleting one keeps its row,
    // its state reserved and its figures), and adding one would rebuild follow_relations on
    // SQLite and copy it on MySQL (3M rows in the benchmark company).
    await q.addColumns('follow_relations', [new TableColumn(c.int('first_channel_id', { isNullable: true })), new TableColumn(c.int('channel_id', { isNullable: true }))])
    // A channel's arrivals over a span of days: its figures.
    for (const column of ['first_channel_id', 'channel_id']) await q.createIndex('follow_relations', new TableIndex({ name: `ix_follow_relations_${column}_added_at`, columnNames: [column, 'added_at'] }))
  }

  async down(q: QueryRunner): Promise<void> {
    for (const column of ['channel_id', 'first_channel_id']) {
      await q.dropIndex('follow_relations', `ix_follow_relations_${column}_added_at`)
      await q.dropColumn('follow_relations', column)
    }
    for (const table of ['welcome_sends', 'default_welcome', 'channel_tags', 'channel_members', 'channels', 'media_assets']) await q.dropTable(table)
  }
}
