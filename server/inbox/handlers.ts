import type { DataSource } from 'typeorm'
import { ActivityLog } from '../entities'
import type { LossAlerter } from '../bot/lossAlert'
import type { Refresher } from '../mirror/refresh'
import { setFollowStatus } from '../mirror/customers'
import { parseEvent, type ContactEvent, type ExternalContactEvent } from '../wecom/events'
import type { HandlerOutcome, InboxHandler } from './worker'

/**
 * Turns inbox rows into changes. Handlers re-read WeCom's current state rather than trust
 * an event's delta, and statuses carry the time of the event that set them, so any event
 * delivered twice, or two out of order, end in the same state as once, in order.
 */
export function createEventHandler(dataSource: DataSource, refresh: Refresher, alertLoss?: LossAlerter): InboxHandler {
  async function externalContact(event: ExternalContactEvent, eventId: number): Promise<HandlerOutcome> {
    const at = new Date(event.createTime * 1000)
    switch (event.changeType) {
      case 'add_external_contact':
      case 'add_half_external_contact':
      case 'edit_external_contact': {
        await refresh.customer(event.externalUserId)
        if (event.changeType !== 'edit_external_contact') {
          // A customer re-adding a member who was deleted: the add is newer than the deletion.
          const follow = await refresh.follow(event.userId, event.externalUserId)
          if (follow) await setFollowStatus(dataSource.manager, follow, 'active', at)
        }
        return 'done'
      }
      case 'del_external_contact':
      case 'del_follow_user': {
        const follow = await refresh.follow(event.userId, event.externalUserId)
        if (follow) {
          await setFollowStatus(dataSource.manager, follow, event.changeType === 'del_follow_user' ? 'deleted_by_customer' : 'deleted_by_member', at)
          if (event.changeType === 'del_follow_user') await alertLoss?.({ ...follow, at, eventId })
        }
        return 'done'
      }
      case 'transfer_fail': {
        const follow = await refresh.follow(event.userId, event.externalUserId)
        await dataSource.manager.insert(ActivityLog, {
          actorMemberId: follow?.memberId ?? null,
          customerId: follow?.customerId ?? null,
          action: 'transfer_fail',
          detail: JSON.stringify({ userid: event.userId, externalUserid: event.externalUserId, reason: event.failReason ?? '' }),
          createdAt: at,
        })
        return 'done'
      }
    }
  }

  async function contact(event: ContactEvent): Promise<HandlerOutcome> {
    switch (event.changeType) {
      case 'create_user':
      case 'update_user':
        if (!event.userId) return 'ignored'
        if (event.newUserId) await refresh.renameMember(event.userId, event.newUserId)
        await refresh.member(event.newUserId ?? event.userId)
        return 'done'
      case 'delete_user':
        if (!event.userId) return 'ignored'
        // Re-read rather than trust the delete: if the userid is back, WeCom says so.
        await refresh.member(event.userId)
        return 'done'
      case 'create_party':
      case 'update_party':
      case 'delete_party': {
        const id = Number(event.partyId)
        if (!Number.isInteger(id)) return 'ignored'
        await refresh.department(id)
        return 'done'
      }
      case 'update_tag':
        // Address-book tags are not customer tags; nothing of ours depends on them.
        return 'ignored'
    }
  }

  return async function handleInboxEvent(row) {
    const event = parseEvent(row.plaintext)
    switch (event.event) {
      case 'change_external_contact':
        return externalContact(event, row.id)
      case 'change_external_tag':
        // Every kind of tag change (create, update, delete, shuffle) ends in WeCom's current list.
        await refresh.corpTags()
        return 'done'
      case 'change_external_chat':
        return refresh.groupChat(event)
      case 'change_contact':
        return contact(event)
      case 'unknown':
        return 'ignored'
    }
  }
}
