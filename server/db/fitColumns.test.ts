import { afterEach, describe, expect, it } from 'vitest'
import { migratedDatabase, testDatabaseKind } from '../../test/database'
import { Customer, entities } from '../entities'
import { cutToCodePoints, fitColumns, varcharColumns } from './fitColumns'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

describe('fitting values to columns', () => {
  it('cuts by code point, never inside a surrogate pair', () => {
    expect(cutToCodePoints('😀😀😀', 2)).toBe('😀😀')
    expect(cutToCodePoints('a😀b', 2)).toBe('a😀')
    expect(cutToCodePoints('𠮷'.repeat(3), 3)).toBe('𠮷'.repeat(3))
    expect(cutToCodePoints('短', 10)).toBe('短')
  })

  it('cuts text to the declared length and leaves out an id rather than cut it', () => {
    const fit = fitColumns(Customer, { externalUserid: 'wm1', name: '名'.repeat(300), unionid: 'u'.repeat(65), type: 2 }, ['unionid'])
    expect(fit).toEqual({ values: { externalUserid: 'wm1', name: '名'.repeat(255), unionid: null, type: 2 }, cut: ['name'], unfit: ['unionid'] })
  })

  it(`reads the lengths the migrations gave the columns, on ${testDatabaseKind}`, async () => {
    const database = await migratedDatabase()
    cleanups.push(database.cleanup)
    const runner = database.dataSource.createQueryRunner()
    cleanups.push(() => runner.release())
    const mismatches: string[] = []
    for (const entity of entities) {
      const metadata = database.dataSource.getMetadata(entity)
      const table = (await runner.getTable(metadata.tableName))!
      for (const [property, { length }] of varcharColumns(entity)) {
        const column = table.findColumnByName(metadata.findColumnWithPropertyName(property)!.databaseName)
        if (Number(column?.length) !== length) mismatches.push(`${metadata.tableName}.${property}: entity ${length}, schema ${column?.length}`)
      }
    }
    expect(mismatches).toEqual([])
  })
})
