import { attributeArrival } from '../channels/arrival'
import { defineProcessor } from './processor'

/**
 * A customer arriving through a channel (SPEC §4.8): the follow is attributed to it and its
 * tags are marked. After the mirror, which stores the follow first.
 */
export const channelArrival = defineProcessor({
  name: 'channel-arrival',
  handles: { change_external_contact: ['add_external_contact', 'add_half_external_contact'] },
  after: ['contact-mirror'],
  create: ({ dataSource, client }) =>
    async function attributeToChannel(event) {
      if (!event.state) return 'ignored'
      return (await attributeArrival(dataSource, client, { userid: event.userId, externalUserid: event.externalUserId, state: event.state })) ? 'done' : 'ignored'
    },
})
