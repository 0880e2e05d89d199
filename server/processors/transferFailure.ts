import { ActivityLog } from '../entities'
import { defineProcessor } from './processor'

/** A customer transfer WeCom could not make (the customer refused, or the receiver is full), in the activity log. */
export const transferFailure = defineProcessor({
  name: 'transfer-failure',
  handles: { change_external_contact: ['transfer_fail'] },
  create: ({ dataSource, refresher }) =>
    async function logTransferFailure(event) {
      const follow = await refresher.follow(event.userId, event.externalUserId)
      await dataSource.manager.insert(ActivityLog, {
        actorMemberId: follow?.memberId ?? null,
        customerId: follow?.customerId ?? null,
        action: 'transfer_fail',
        detail: JSON.stringify({ userid: event.userId, externalUserid: event.externalUserId, reason: event.failReason ?? '' }),
        createdAt: new Date(event.createTime * 1000),
      })
      return 'done'
    },
})
