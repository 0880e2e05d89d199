import { setFollowStatus } from '../mirror/customers'
import { CONTACT_CHANGES, EXTERNAL_TAG_CHANGES } from '../wecom/events'
import { defineProcessor } from './processor'

/**
 * WeCom's contacts mirrored: customers and their follows, corp tags, members and departments.
 * It re-reads WeCom's current state rather than trust an event's delta, and statuses carry
 * the time of the event that set them, so an event delivered twice, or two out of order,
 * end in the same state as once, in order.
 */
export const contactMirror = defineProcessor({
  name: 'contact-mirror',
  handles: {
    change_external_contact: ['add_external_contact', 'add_half_external_contact', 'edit_external_contact', 'del_external_contact', 'del_follow_user'],
    // Every kind of tag change (create, update, delete, shuffle) ends in WeCom's current list.
    change_external_tag: EXTERNAL_TAG_CHANGES,
    // Address-book tags (update_tag) are not customer tags: nothing of ours depends on them.
    change_contact: CONTACT_CHANGES.filter((change) => change !== 'update_tag'),
  },
  create: ({ dataSource, refresher }) =>
    async function mirrorContacts(event) {
      switch (event.event) {
        case 'change_external_tag':
          await refresher.corpTags()
          return 'done'
        case 'change_external_contact': {
          const at = new Date(event.createTime * 1000)
          if (event.changeType === 'del_external_contact' || event.changeType === 'del_follow_user') {
            const follow = await refresher.follow(event.userId, event.externalUserId)
            if (follow) await setFollowStatus(dataSource.manager, follow, event.changeType === 'del_follow_user' ? 'deleted_by_customer' : 'deleted_by_member', at)
            return 'done'
          }
          await refresher.customer(event.externalUserId)
          if (event.changeType !== 'edit_external_contact') {
            // A customer re-adding a member who was deleted: the add is newer than the deletion.
            const follow = await refresher.follow(event.userId, event.externalUserId)
            if (follow) await setFollowStatus(dataSource.manager, follow, 'active', at)
          }
          return 'done'
        }
        case 'change_contact':
          switch (event.changeType) {
            case 'create_user':
            case 'update_user':
              if (!event.userId) return 'ignored'
              if (event.newUserId) await refresher.renameMember(event.userId, event.newUserId)
              await refresher.member(event.newUserId ?? event.userId)
              return 'done'
            case 'delete_user':
              if (!event.userId) return 'ignored'
              // Re-read rather than trust the delete: if the userid is back, WeCom says so.
              await refresher.member(event.userId)
              return 'done'
            default: {
              const id = Number(event.partyId)
              if (!Number.isInteger(id)) return 'ignored'
              await refresher.department(id)
              return 'done'
            }
          }
      }
    },
})
