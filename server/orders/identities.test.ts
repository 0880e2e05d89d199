import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { migratedDatabase, testDatabaseKind } from '../../test/database'
import { buildCustomer } from '../../test/factories'
import { KnownCustomers, matchCustomers } from './identities'
import type { OrderInput } from './orderInput'

let dataSource: DataSource
let cleanup: () => Promise<void>
beforeEach(async () => ({ dataSource, cleanup } = await migratedDatabase()))
afterEach(() => cleanup())

const orderFor = (externalUserid: string, orderNo: string): OrderInput => ({
  platform: 'tmall',
  orderNo,
  status: 'paid',
  paidAt: null,
  amountCents: 100,
  items: [],
  externalUserid,
  unionid: null,
  phone: null,
  buyerId: null,
})

describe(`an import's known customers, on ${testDatabaseKind}`, () => {
  it('keeps the customers found, not those missing, so one synced in meanwhile still matches', async () => {
    const known = new KnownCustomers()
    const first = await buildCustomer(dataSource, { externalUserid: 'wmFirst' })
    expect(await matchCustomers(dataSource.manager, [orderFor('wmFirst', 'T1'), orderFor('wmLater', 'T2')], known)).toEqual([first.id, null])
    expect([known.get('wmFirst'), known.get('wmLater')]).toEqual([first.id, undefined])

    // The sync adds the customer between two batches of the import.
    const later = await buildCustomer(dataSource, { externalUserid: 'wmLater' })
    expect(await matchCustomers(dataSource.manager, [orderFor('wmLater', 'T3'), orderFor('wmFirst', 'T4')], known)).toEqual([later.id, first.id])
    expect(known.get('wmLater')).toBe(later.id)
  })

  it('answers a known customer without asking the database, and holds no more than its capacity', async () => {
    const [a, b] = [await buildCustomer(dataSource, { externalUserid: 'wmA' }), await buildCustomer(dataSource, { externalUserid: 'wmB' })]
    const known = new KnownCustomers(1)
    expect(await matchCustomers(dataSource.manager, [orderFor('wmA', 'T1'), orderFor('wmB', 'T2')], known)).toEqual([a.id, b.id])
    expect([known.get('wmA'), known.get('wmB')]).toEqual([a.id, undefined])

    // Were wmA asked for again, the database would not know it now.
    await dataSource.query("UPDATE customers SET external_userid = 'wmRenamedInTest' WHERE external_userid = 'wmA'")
    expect(await matchCustomers(dataSource.manager, [orderFor('wmA', 'T3'), orderFor('wmB', 'T4')], known)).toEqual([a.id, b.id])
  })
})
