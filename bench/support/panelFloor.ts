/**
 * The sidebar panel's floor (SPEC §7): the rows the panel call returns for a (session,
 * customer), read by hand-written queries over a mysql2 pool, no TypeORM, no HTTP. Two round
 * trips, as few as the data allows: the session, its member and the customer's follows in
 * one query (which follow the viewer sees through decides everything after it), then every
 * other read at once. The same rows as server/customers/panel.ts and access.ts, so that
 * the comparison is of the code around the queries, and of queries that could be fewer.
 */
import { createHash } from 'node:crypto'
import { createPool, type Pool, type RowDataPacket } from 'mysql2/promise'

/** The server's pool size (server/db/dataSource.ts), so that both run as many queries at once. */
const CONNECTIONS = 10
const RECENT_ORDERS = 5
const FOLLOW_UPS = 20
const SUGGESTED_SCRIPTS = 20

/** What the checks compare with the panel's answer: enough to tell the same rows were read. */
export interface PanelRows {
  followId: number
  customerName: string
  followUpIds: number[]
  markedTagIds: number[]
  tagCount: number
  orderNos: string[]
  itemCount: number
  orderCount: number
  spentCents: number
  scriptIds: number[]
}

export interface PanelFloor {
  /** The panel's rows for the session `token` and the customer, or null when the viewer may not see it. */
  read(token: string, externalUserid: string): Promise<PanelRows | null>
  close(): Promise<void>
}

export function createPanelFloor(url: string): PanelFloor {
  const pool: Pool = createPool({ uri: url, connectionLimit: CONNECTIONS, enableKeepAlive: true, timezone: 'Z' })
  const rows = async (sql: string, values: unknown[]) => (await pool.query<RowDataPacket[]>(sql, values))[0]
  return {
    async read(token, externalUserid) {
      const tokenHash = createHash('sha256').update(token).digest('hex')
      const candidates = await rows(
        `SELECT v.id AS viewer_id, f.id AS follow_id, f.customer_id, f.member_id, l.manager_id IS NOT NULL AS is_report
           FROM sessions s JOIN members v ON v.id = s.member_id
           JOIN customers c ON c.external_userid = ?
           JOIN follow_relations f ON f.customer_id = c.id AND f.status <> 'deleted_by_member'
           JOIN members m ON m.id = f.member_id
           LEFT JOIN manager_links l ON l.member_id = f.member_id AND l.manager_id = v.id
          WHERE s.token_hash = ? AND s.expires_at > NOW(3) AND v.status <> 5
          ORDER BY f.added_at DESC, f.id DESC`,
        [externalUserid, tokenHash],
      )
      const access = candidates.find((c) => Number(c.member_id) === Number(c.viewer_id)) ?? candidates.find((c) => Number(c.is_report) === 1)
      if (!access) return null
      const followId = Number(access.follow_id)
      const customerId = Number(access.customer_id)
      const viewerId = Number(access.viewer_id)
      const [customer, follow, followUps, tags, orders, totals, scripts] = await Promise.all([
        rows('SELECT external_userid, name, avatar, type, gender, corp_name FROM customers WHERE id = ?', [customerId]),
        rows('SELECT remark, description, remark_mobiles, state, add_way, added_at, status, stage, next_follow_up_on FROM follow_relations WHERE id = ?', [followId]),
        rows(
          `SELECT u.id, u.note, u.next_follow_up_on, u.stage, m.name AS author, u.created_at FROM follow_ups u JOIN members m ON m.id = u.author_member_id
            WHERE u.follow_relation_id = ? ORDER BY u.created_at DESC, u.id DESC LIMIT ${FOLLOW_UPS}`,
          [followId],
        ),
        rows(
          `SELECT g.id AS group_id, g.name AS group_name, t.id AS tag_id, t.name AS tag_name, ft.tag_id IS NOT NULL AS marked
             FROM tag_groups g JOIN tags t ON t.group_id = g.id LEFT JOIN follow_tags ft ON ft.tag_id = t.id AND ft.follow_relation_id = ?
            ORDER BY g.sort_order DESC, g.id, t.sort_order DESC, t.id`,
          [followId],
        ),
        // The recent orders with their items in one query: the panel reads them in two.
        rows(
          `SELECT o.id, o.platform, o.order_no, o.status, o.amount_cents, o.paid_at, i.name, i.quantity
             FROM (SELECT id, platform, order_no, status, amount_cents, paid_at FROM orders WHERE customer_id = ? ORDER BY paid_at DESC, id DESC LIMIT ${RECENT_ORDERS}) o
             LEFT JOIN order_items i ON i.order_id = o.id
            ORDER BY o.paid_at DESC, o.id DESC, i.line_no`,
          [customerId],
        ),
        rows(`SELECT COUNT(*) AS count, SUM(CASE WHEN status IN ('paid', 'shipped', 'completed') THEN amount_cents ELSE 0 END) AS spent FROM orders WHERE customer_id = ?`, [customerId]),
        // The panel's suggestion order: welcome scripts for a new customer, then tag matches, then the viewer's and the team's most sent.
        rows(
          `SELECT s.id,
                  MAX(t.tag_name IS NOT NULL) AS tag_match, COALESCE(MAX(u.send_count), 0) AS member_sends,
                  (f.last_followed_up_at IS NULL AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = f.customer_id)
                    AND (c.name LIKE '%欢迎%' OR s.title LIKE '%欢迎%' OR c.name LIKE '%新客%' OR s.title LIKE '%新客%')) AS greets_new
             FROM scripts s JOIN script_categories c ON c.id = s.category_id JOIN follow_relations f ON f.id = ?
             LEFT JOIN script_tag_targets t ON t.script_id = s.id AND t.tag_name IN (
               SELECT tg.name FROM follow_tags ft JOIN tags tg ON tg.id = ft.tag_id WHERE ft.follow_relation_id = f.id)
             LEFT JOIN script_member_usage u ON u.script_id = s.id AND u.member_id = ?
            GROUP BY s.id, c.name, s.title, s.send_count, f.last_followed_up_at, f.customer_id
            ORDER BY greets_new DESC, tag_match DESC, member_sends DESC, s.send_count DESC, s.id
            LIMIT ${SUGGESTED_SCRIPTS}`,
          [followId, viewerId],
        ),
      ])
      if (!customer[0] || !follow[0]) return null
      return {
        followId,
        customerName: String(customer[0].name),
        followUpIds: followUps.map((u) => Number(u.id)),
        markedTagIds: tags.filter((t) => Number(t.marked) === 1).map((t) => Number(t.tag_id)),
        tagCount: tags.length,
        orderNos: [...new Set(orders.map((o) => String(o.order_no)))],
        itemCount: orders.filter((o) => o.name !== null).length,
        orderCount: Number(totals[0]?.count ?? 0),
        spentCents: Number(totals[0]?.spent ?? 0),
        scriptIds: scripts.map((s) => Number(s.id)),
      }
    },
    close: () => pool.end(),
  }
}
