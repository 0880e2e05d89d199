import type { DataSource } from 'typeorm'
import { query, rawInstant } from '../db/sql'
import { MEMBER_STATUS } from '../entities'
import { deliverAll } from '../outbox/outbox'
import { newOwner } from '../processIdentity'
import { businessDate } from '../time'
import { htmlText } from './markdown'
import type { AppMessage, Messenger } from './messenger'

export type LossAlerter = (loss: { memberId: number; customerId: number; at: Date; eventId: number }) => Promise<void>

/**
 * The loss alert of SPEC §4.4: when a customer deletes a member (del_follow_user), the
 * member and their managers get a card naming the customer and opening them in the sidebar.
 * Once per event: the inbox keeps one row however often WeCom delivers it, and each
 * (event, recipient) goes through the outbox, so a retried event sends only what
 * failed. A failure throws, and the inbox tries the event again later.
 */
export function createLossAlerter({ dataSource, messenger, publicUrl, timeZone }: { dataSource: DataSource; messenger: Messenger; publicUrl: string; timeZone: string }): LossAlerter {
  // This process, for the deliveries it claims: one that dies gives them up at once.
  const owner = newOwner()
  return async ({ memberId, customerId, at, eventId }) => {
    const [loss] = await query<{ status: string; status_changed_at: Date | string | null; external_userid: string; customer_name: string; remark: string; member_id: number; member_userid: string; member_name: string }>(
      dataSource.manager,
      `SELECT f.status, f.status_changed_at, c.external_userid, c.name AS customer_name, f.remark, m.id AS member_id, m.userid AS member_userid, m.name AS member_name
         FROM follow_relations f JOIN customers c ON c.id = f.customer_id JOIN members m ON m.id = f.member_id
        WHERE f.member_id = :memberId AND f.customer_id = :customerId`,
      { memberId, customerId },
    )
    // Only while this event is the relation's latest word: a re-add since then means no loss.
    if (!loss || loss.status !== 'deleted_by_customer' || loss.status_changed_at === null || rawInstant(loss.status_changed_at).getTime() !== at.getTime()) return

    const managers = await query<{ userid: string }>(
      dataSource.manager,
      `SELECT b.userid FROM manager_links l JOIN members b ON b.id = l.manager_id WHERE l.member_id = :memberId AND b.status <> :left ORDER BY b.userid`,
      { memberId: loss.member_id, left: MEMBER_STATUS.left },
    )
    const customer = loss.remark ? `${loss.remark}（${loss.customer_name}）` : loss.customer_name
    const when = new Intl.DateTimeFormat('zh-CN', { timeZone, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at)
    const card = {
      msgtype: 'textcard' as const,
      textcard: {
        title: '客户流失提醒',
        description: [
          `<div class="gray">${when}</div>`,
          `<div class="normal">客户 ${htmlText(customer)} 删除了 ${htmlText(loss.member_name, 20)}</div>`,
          '<div class="highlight">看看跟进记录，问问原因，能否挽回</div>',
        ].join(''),
        url: `${publicUrl.replace(/\/$/, '')}/sidebar/#/customer/${encodeURIComponent(loss.external_userid)}`,
        btntxt: '查看',
      },
    }

    const recipients = [...new Set([loss.member_userid, ...managers.map((m) => m.userid)])]
    const date = businessDate(at, timeZone)
    const outcomes = await deliverAll(
      dataSource,
      recipients.map((userid) => ({ key: { job: 'loss-alert', businessDate: date, recipient: `${userid}@event${eventId}` }, userid, message: card as AppMessage })),
      (recorded, { userid }) => messenger.sendApp(userid, recorded),
      { owner, concurrency: recipients.length },
    )
    const failed = outcomes.filter((o) => o.outcome === 'failed')
    if (failed.length > 0) throw new Error(`loss alert failed for ${failed.length} of ${recipients.length} recipients: ${failed[0]!.error?.message}`)
  }
}
