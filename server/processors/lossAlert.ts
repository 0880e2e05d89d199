import { findFollow } from '../mirror/customers'
import { defineProcessor } from './processor'

/**
 * The loss alert (SPEC §4.4) when a customer deletes a member. After the mirror: the alerter
 * speaks only while the deletion this event recorded is the follow's latest status.
 */
export const lossAlert = defineProcessor({
  name: 'loss-alert',
  handles: { change_external_contact: ['del_follow_user'] },
  after: ['contact-mirror'],
  create: ({ dataSource, alertLoss }) =>
    async function alertOnLoss(event, { eventId }) {
      if (!alertLoss) return 'ignored'
      const follow = await findFollow(dataSource.manager, event.userId, event.externalUserId)
      if (!follow) return 'ignored'
      await alertLoss({ ...follow, at: new Date(event.createTime * 1000), eventId })
      return 'done'
    },
})
