import { sendWelcome, WELCOME_WINDOW_MS } from '../channels/welcome'
import { defineProcessor } from './processor'

/**
 * A new customer's welcome (SPEC §4.8): a deadline processor, so its events are claimed before
 * any other pending work and it runs before the mirror, whatever the mirror's state. An add
 * without a WelcomeCode (an admin-configured welcome, an old acquaintance, another company's
 * WeCom user) asks nothing of it.
 */
export const welcome = defineProcessor({
  name: 'welcome',
  handles: { change_external_contact: ['add_external_contact', 'add_half_external_contact'] },
  deadlineMs: WELCOME_WINDOW_MS,
  create: ({ dataSource, client, logger }) =>
    async function welcomeNewCustomer(event, { eventId }) {
      const { welcomeCode } = event
      if (!welcomeCode) return 'ignored'
      await sendWelcome(dataSource, client, logger, { eventId, userId: event.userId, externalUserId: event.externalUserId, state: event.state, welcomeCode, createTime: event.createTime })
      return 'done'
    },
})
