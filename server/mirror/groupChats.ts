import type { EntityManager } from 'typeorm'
import { GroupChat } from '../entities'
import type { ExternalChatEvent } from '../wecom/events'
import { fitRecord, type MirrorLog } from './mirrorInput'

/**
 * A change_external_chat event, applied unless an event newer than it already was. A chat id
 * too long to store is left out (logged; cut, it could be another chat's): returns false then.
 */
export async function recordChatChange(manager: EntityManager, event: ExternalChatEvent, log: MirrorLog): Promise<boolean> {
  const at = new Date(event.createTime * 1000)
  const fitted = fitRecord(
    log,
    { entity: 'group chat', id: event.chatId },
    GroupChat,
    {
      chatId: event.chatId,
      status: event.changeType === 'dismiss' ? 'dismissed' : 'active',
      lastChange: event.updateDetail ? `${event.changeType}:${event.updateDetail}` : event.changeType,
      changedAt: at,
      updatedAt: new Date(),
    },
    { key: 'chatId' },
  )
  if (!fitted) return false
  const { chatId, ...values } = fitted
  await manager.createQueryBuilder().insert().into(GroupChat).updateEntity(false).values(fitted).orIgnore().execute()
  await manager.createQueryBuilder().update(GroupChat).set(values).where('chat_id = :chatId AND changed_at <= :at', { chatId, at }).execute()
  return true
}
