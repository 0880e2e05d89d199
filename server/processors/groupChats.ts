import { EXTERNAL_CHAT_CHANGES } from '../wecom/events'
import { defineProcessor } from './processor'

/** Customer group chats: created, changed, dismissed; an older event arriving late changes nothing. */
export const groupChats = defineProcessor({
  name: 'group-chats',
  handles: { change_external_chat: EXTERNAL_CHAT_CHANGES },
  create: ({ refresher }) =>
    async function recordGroupChat(event) {
      return (await refresher.groupChat(event)) ? 'done' : 'ignored'
    },
})
