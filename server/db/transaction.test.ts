import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createDataSource } from './dataSource'
import { upsertTransaction } from './transaction'
import { migratedDatabase, testDatabaseKind } from '../../test/database'
import { buildMember } from '../../test/factories'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

describe(`upsert transactions on ${testDatabaseKind}`, () => {
  it.runIf(testDatabaseKind === 'mysql')('retry the victim of a real deadlock, so both transactions commit', async () => {
    const database = await migratedDatabase()
    cleanups.push(database.cleanup)
    const [a, b] = [await buildMember(database.dataSource), await buildMember(database.dataSource)]
    const other = createDataSource(database.config)
    await other.initialize()
    cleanups.push(() => other.destroy())

    // Each transaction locks one row, waits until the other has locked its row, then
    // reaches for the other's: MySQL must kill one of them as a deadlock victim.
    let locked = 0
    const bothLocked = new Promise<void>((resolve) => {
      const check = setInterval(() => locked >= 2 && (clearInterval(check), resolve()), 5)
    })
    const attempts = { first: 0, second: 0 }
    const crossing = (which: 'first' | 'second', mine: number, theirs: number, source = which === 'first' ? database.dataSource : other) =>
      upsertTransaction(source, async (tx) => {
        attempts[which]++
        await tx.query('UPDATE members SET name = ? WHERE id = ?', [`${which}-${attempts[which]}`, mine])
        if (attempts[which] === 1) {
          locked++
          await bothLocked
        }
        await tx.query('UPDATE members SET name = ? WHERE id = ?', [`${which}-${attempts[which]}`, theirs])
      })

    await Promise.all([crossing('first', a.id, b.id), crossing('second', b.id, a.id)])
    expect(attempts.first + attempts.second).toBe(3)
    const names = (await database.dataSource.query('SELECT name FROM members ORDER BY id')) as { name: string }[]
    // Whoever committed last wrote both rows.
    expect(new Set(names.map((row) => row.name)).size).toBe(1)
  })

  it.runIf(testDatabaseKind === 'sqlite')('on SQLite, a transaction that reads and then writes after another process wrote still commits, the other waiting its turn', async () => {
    const database = await migratedDatabase()
    cleanups.push(database.cleanup)
    if (database.config.kind !== 'sqlite') throw new Error('SQLite only')
    const member = await buildMember(database.dataSource)
    // Another process (a command beside the demo) writing the same file, with the same 5 s wait for the lock.
    const script = `const db = require('better-sqlite3')(${JSON.stringify(database.config.path)}, { timeout: 5000 }); db.prepare("UPDATE members SET name = 'other' WHERE id = ${member.id}").run()`
    let other: ReturnType<typeof spawn> | undefined
    await database.dataSource.transaction(async (tx) => {
      await tx.query('SELECT name FROM members WHERE id = ?', [member.id])
      other = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: 'inherit' })
      // Long enough for the other process to write, had our transaction not taken the lock at BEGIN.
      await sleep(500)
      await tx.query('UPDATE members SET name = ? WHERE id = ?', ['ours', member.id])
    })
    const [code] = (await once(other!, 'exit')) as [number]
    expect(code).toBe(0)
    // Theirs came after ours: it waited for our commit.
    expect((await database.dataSource.query('SELECT name FROM members WHERE id = ?', [member.id]))[0].name).toBe('other')
  })
})
