import type { MigrationInterface, QueryRunner, TableForeignKeyOptions, TableIndexOptions } from 'typeorm'
import { column as c, createTable } from '../server/db/columns'

const index = (table: string, columnNames: string[], isUnique = false): TableIndexOptions => ({
  // SQLite index names are global to the database, so each carries its table's name.
  name: `${isUnique ? 'uq' : 'ix'}_${table}_${columnNames.join('_')}`,
  columnNames,
  isUnique,
})

const references = (
  columnName: string,
  table: string,
  onDelete: 'CASCADE' | 'SET NULL' | 'RESTRICT' = 'CASCADE',
): TableForeignKeyOptions => ({
  columnNames: [columnName],
  referencedTableName: table,
  referencedColumnNames: ['id'],
  onDelete,
})

/** The whole data model of SPEC §1 and §4, on MySQL and SQLite alike. */
export class InitialSchema1795392000000 implements MigrationInterface {
  name = 'InitialSchema1795392000000'

  async up(q: QueryRunner): Promise<void> {
    await createTable(q, {
      name: 'departments',
      columns: [
        c.int('id', { isPrimary: true }),
        c.string('name', 64),
        c.int('parent_id', { isNullable: true }),
        c.int('sort_order', { default: 0 }),
        c.time('updated_at'),
      ],
    })

    await createTable(q, {
      name: 'members',
      columns: [
        c.id(),
        c.string('userid', 64),
        c.string('name', 64),
        c.string('avatar', 512, { isNullable: true }),
        c.int('main_department_id', { isNullable: true }),
        c.int('status', { default: 1 }),
        c.bool('is_follow_user', false),
        c.time('created_at'),
        c.time('updated_at'),
      ],
      indices: [index('members', ['userid'], true)],
    })

    await createTable(q, {
      name: 'member_departments',
      columns: [
        c.int('member_id', { isPrimary: true }),
        c.int('department_id', { isPrimary: true }),
        c.bool('is_leader', false),
      ],
      indices: [index('member_departments', ['department_id', 'is_leader'])],
      foreignKeys: [references('member_id', 'members'), references('department_id', 'departments')],
    })

    await createTable(q, {
      name: 'manager_links',
      columns: [
        c.int('member_id', { isPrimary: true }),
        c.int('manager_id', { isPrimary: true }),
        c.string('source', 24),
      ],
      indices: [index('manager_links', ['manager_id'])],
      foreignKeys: [references('member_id', 'members'), references('manager_id', 'members')],
    })

    await createTable(q, {
      name: 'customers',
      columns: [
        c.id(),
        c.string('external_userid', 64),
        c.string('name', 255),
        c.string('avatar', 512, { isNullable: true }),
        c.int('type', { default: 1 }),
        c.int('gender', { default: 0 }),
        c.string('unionid', 64, { isNullable: true }),
        c.string('corp_name', 255, { isNullable: true }),
        c.string('corp_full_name', 255, { isNullable: true }),
        c.string('position', 255, { isNullable: true }),
        c.time('created_at'),
        c.time('updated_at'),
      ],
      indices: [index('customers', ['external_userid'], true), index('customers', ['unionid'])],
    })

    await createTable(q, {
      name: 'follow_relations',
      columns: [
        c.id(),
        c.int('member_id'),
        c.int('customer_id'),
        c.string('remark', 255, { default: "''" }),
        c.string('description', 1024, { default: "''" }),
        c.string('remark_corp_name', 255, { default: "''" }),
        c.text('remark_mobiles'),
        c.int('add_way', { default: 0 }),
        c.string('oper_userid', 64, { default: "''" }),
        c.string('state', 128, { default: "''" }),
        c.time('added_at'),
        c.string('status', 24, { default: "'active'" }),
        c.time('status_changed_at', { isNullable: true }),
        c.string('stage', 16, { isNullable: true }),
        c.date('next_follow_up_on', { isNullable: true }),
        c.time('last_followed_up_at', { isNullable: true }),
        c.time('created_at'),
        c.time('updated_at'),
      ],
      indices: [
        index('follow_relations', ['member_id', 'customer_id'], true),
        index('follow_relations', ['customer_id']),
        // The digest's overdue / due-today scans: per member, active, by next date.
        index('follow_relations', ['member_id', 'status', 'next_follow_up_on']),
      ],
      foreignKeys: [references('member_id', 'members'), references('customer_id', 'customers')],
    })

    await createTable(q, {
      name: 'customer_identities',
      columns: [
        c.id(),
        c.int('customer_id'),
        c.string('kind', 16),
        c.string('platform', 32, { default: "''" }),
        c.string('value', 128),
        c.string('source', 16),
        c.time('created_at'),
      ],
      indices: [
        index('customer_identities', ['kind', 'platform', 'value'], true),
        index('customer_identities', ['customer_id']),
      ],
      foreignKeys: [references('customer_id', 'customers')],
    })

    await createTable(q, {
      name: 'tag_groups',
      columns: [
        c.id(),
        c.string('wecom_group_id', 64),
        c.string('name', 64),
        c.int('sort_order', { default: 0 }),
        c.int('strategy_id', { isNullable: true }),
        c.time('created_at'),
        c.time('updated_at'),
      ],
      indices: [index('tag_groups', ['wecom_group_id'], true)],
    })

    await createTable(q, {
      name: 'tags',
      columns: [
        c.id(),
        c.string('wecom_tag_id', 64),
        c.int('group_id'),
        c.string('name', 64),
        c.int('sort_order', { default: 0 }),
        c.time('created_at'),
        c.time('updated_at'),
      ],
      indices: [index('tags', ['wecom_tag_id'], true), index('tags', ['group_id'])],
      foreignKeys: [references('group_id', 'tag_groups')],
    })

    await createTable(q, {
      name: 'follow_tags',
      columns: [
        c.int('follow_relation_id', { isPrimary: true }),
        c.int('tag_id', { isPrimary: true }),
        c.time('created_at'),
      ],
      indices: [index('follow_tags', ['tag_id'])],
      foreignKeys: [references('follow_relation_id', 'follow_relations'), references('tag_id', 'tags')],
    })

    await createTable(q, {
      name: 'orders',
      columns: [
        c.id(),
        c.string('platform', 32),
        c.string('order_no', 64),
        c.string('status', 16),
        c.time('paid_at', { isNullable: true }),
        c.bigint('amount_cents'),
        c.int('customer_id', { isNullable: true }),
        c.string('external_userid', 64, { isNullable: true }),
        c.string('unionid', 64, { isNullable: true }),
        c.string('phone', 32, { isNullable: true }),
        c.string('buyer_id', 128, { isNullable: true }),
        c.string('source', 64),
        c.time('created_at'),
        c.time('updated_at'),
      ],
      indices: [
        index('orders', ['platform', 'order_no'], true),
        index('orders', ['customer_id', 'paid_at']),
        // Late matching: find a customer's unmatched orders when a binding appears.
        index('orders', ['external_userid']),
        index('orders', ['unionid']),
        index('orders', ['phone']),
        index('orders', ['platform', 'buyer_id']),
      ],
      foreignKeys: [references('customer_id', 'customers', 'SET NULL')],
    })

    await createTable(q, {
      name: 'order_items',
      columns: [c.id(), c.int('order_id'), c.int('line_no'), c.string('name', 255), c.int('quantity')],
      indices: [index('order_items', ['order_id', 'line_no'], true)],
      foreignKeys: [references('order_id', 'orders')],
    })

    await createTable(q, {
      name: 'script_categories',
      columns: [c.id(), c.string('name', 64), c.int('sort_order', { default: 0 }), c.time('created_at')],
      indices: [index('script_categories', ['name'], true)],
    })

    await createTable(q, {
      name: 'scripts',
      columns: [
        c.id(),
        c.int('category_id'),
        c.string('title', 128),
        c.text('content'),
        c.int('send_count', { default: 0 }),
        c.time('created_at'),
        c.time('updated_at'),
      ],
      indices: [index('scripts', ['category_id', 'title'], true)],
      foreignKeys: [references('category_id', 'script_categories', 'RESTRICT')],
    })

    await createTable(q, {
      name: 'script_tag_targets',
      columns: [c.int('script_id', { isPrimary: true }), c.string('tag_name', 64, { isPrimary: true })],
      indices: [index('script_tag_targets', ['tag_name'])],
      foreignKeys: [references('script_id', 'scripts')],
    })

    await createTable(q, {
      name: 'script_member_usage',
      columns: [
        c.int('script_id', { isPrimary: true }),
        c.int('member_id', { isPrimary: true }),
        c.int('send_count', { default: 0 }),
        c.time('last_sent_at'),
      ],
      indices: [index('script_member_usage', ['member_id'])],
      foreignKeys: [references('script_id', 'scripts'), references('member_id', 'members')],
    })

    await createTable(q, {
      name: 'follow_ups',
      columns: [
        c.id(),
        c.int('follow_relation_id'),
        c.int('author_member_id'),
        c.text('note'),
        c.date('next_follow_up_on', { isNullable: true }),
        c.string('stage', 16, { isNullable: true }),
        c.time('created_at'),
      ],
      indices: [index('follow_ups', ['follow_relation_id', 'created_at'])],
      foreignKeys: [
        references('follow_relation_id', 'follow_relations'),
        references('author_member_id', 'members', 'RESTRICT'),
      ],
    })

    await createTable(q, {
      name: 'activity_log',
      columns: [
        c.id(),
        c.int('actor_member_id', { isNullable: true }),
        c.int('customer_id', { isNullable: true }),
        c.string('action', 32),
        c.text('detail'),
        c.time('created_at'),
      ],
      indices: [
        index('activity_log', ['customer_id', 'created_at']),
        index('activity_log', ['actor_member_id', 'created_at']),
      ],
      foreignKeys: [
        references('actor_member_id', 'members', 'SET NULL'),
        references('customer_id', 'customers', 'SET NULL'),
      ],
    })

    await createTable(q, {
      name: 'inbox_events',
      columns: [
        c.id(),
        c.string('dedupe_key', 64),
        c.largeText(q, 'plaintext'),
        c.string('event', 64, { default: "''" }),
        c.string('change_type', 64, { default: "''" }),
        c.string('status', 16, { default: "'pending'" }),
        c.int('attempts', { default: 0 }),
        c.time('next_attempt_at'),
        c.text('last_error', { isNullable: true }),
        c.time('received_at'),
        c.time('processed_at', { isNullable: true }),
      ],
      indices: [
        index('inbox_events', ['dedupe_key'], true),
        // Workers claim due rows: status = 'pending' ordered by next attempt.
        index('inbox_events', ['status', 'next_attempt_at']),
      ],
    })

    await createTable(q, {
      name: 'job_runs',
      columns: [
        c.id(),
        c.string('job', 32),
        c.date('business_date'),
        c.string('status', 16),
        c.string('claimed_by', 128),
        c.time('started_at'),
        c.time('finished_at', { isNullable: true }),
        c.text('summary', { isNullable: true }),
      ],
      indices: [index('job_runs', ['job', 'business_date'], true)],
    })

    await createTable(q, {
      name: 'job_deliveries',
      columns: [
        c.id(),
        c.string('job', 32),
        c.date('business_date'),
        c.string('recipient', 128),
        c.string('status', 16),
        c.int('attempts', { default: 0 }),
        c.text('last_error', { isNullable: true }),
        c.time('sent_at', { isNullable: true }),
        c.time('created_at'),
      ],
      indices: [index('job_deliveries', ['job', 'business_date', 'recipient'], true)],
    })

    await createTable(q, {
      name: 'wecom_credentials',
      columns: [
        c.id(),
        c.string('kind', 32),
        c.string('scope', 128),
        c.string('value', 1024),
        c.time('expires_at'),
        c.time('updated_at'),
      ],
      indices: [index('wecom_credentials', ['kind', 'scope'], true)],
    })
  }

  async down(q: QueryRunner): Promise<void> {
    // Children before parents, so foreign keys never block a drop.
    for (const table of [
      'wecom_credentials', 'job_deliveries', 'job_runs', 'inbox_events',
      'activity_log', 'follow_ups',
      'script_member_usage', 'script_tag_targets', 'scripts', 'script_categories',
      'order_items', 'orders',
      'follow_tags', 'tags', 'tag_groups',
      'customer_identities', 'follow_relations', 'customers',
      'manager_links', 'member_departments', 'members', 'departments',
    ]) {
      await q.dropTable(table)
    }
  }
}
