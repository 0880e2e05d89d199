import { storedIdentities } from '../mirror/customers'
import { upsertTransaction } from '../db/transaction'
import { bindLearnedIdentities } from '../orders/identities'
import { EXTERNAL_CONTACT_CHANGES } from '../wecom/events'
import { defineProcessor } from './processor'

/**
 * A new or changed customer's identities (unionid, remark mobiles) bound, and the orders
 * waiting for them matched. Any change_external_contact event may have mirrored its customer
 * (a deletion or failed transfer of a follow we did not have reads the customer), so it
 * runs after the steps that mirror, from what they stored: a retry finds it all the same.
 */
export const orderMatching = defineProcessor({
  name: 'order-matching',
  handles: { change_external_contact: EXTERNAL_CONTACT_CHANGES },
  after: ['contact-mirror', 'transfer-failure'],
  create: ({ dataSource }) =>
    async function matchOrders(event) {
      return upsertTransaction(dataSource, async (tx) => {
        const learned = await storedIdentities(tx, [event.externalUserId])
        if (learned.customers.length === 0) return 'ignored'
        await bindLearnedIdentities(tx, learned)
        return 'done'
      })
    },
})
