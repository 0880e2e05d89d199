import { sendWelcome, welcomeAwaitingConsent, WELCOME_WINDOW_MS } from '../channels/welcome'
import { defineProcessor } from './processor'

/**
 * A new customer's welcome (SPEC §4.8): a deadline processor, so its events are claimed before
 * any other pending work and it runs before the mirror, whatever the mirror's state. An add
 * without a WelcomeCode (an admin-configured welcome, an old acquaintance, another company's
 * WeCom user) asks nothing of it. A customer of a member in the chat-archive range is welcomed
 * only once they agree to its notice (41053 until then): their msg_audit_approved brings a
 * fresh code for the welcome held back.
 */
export const welcome = defineProcessor({
  name: 'welcome',
  handles: { change_external_contact: ['add_external_contact', 'add_half_external_contact', 'msg_audit_approved'] },
  deadlineMs: WELCOME_WINDOW_MS,
  create: ({ dataSource, client, logger }) =>
    async function welcomeNewCustomer(event, { eventId }) {
      const { welcomeCode } = event
      if (!welcomeCode) return 'ignored'
      let state = event.state
      if (event.changeType === 'msg_audit_approved') {
        const held = await welcomeAwaitingConsent(dataSource.manager, { userid: event.userId, externalUserid: event.externalUserId })
        if (!held) return 'ignored'
        state = held.state
      }
      await sendWelcome(dataSource, client, logger, { eventId, userId: event.userId, externalUserId: event.externalUserId, state, welcomeCode, createTime: event.createTime })
      return 'done'
    },
})
