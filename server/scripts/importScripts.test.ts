import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { Script, ScriptCategory, ScriptTagTarget } from '../entities'
import { CsvHeaderError } from '../imports/csvRecords'
import { migratedDatabase, testDatabaseKind } from '../../test/database'
import { runScript } from '../../test/processes'
import { importScripts } from './importScripts'

let dataSource: DataSource
let cleanup: () => Promise<void>
let databaseUrl: string
beforeEach(async () => {
  ;({ dataSource, cleanup, url: databaseUrl } = await migratedDatabase())
})
afterEach(() => cleanup())

const csv = (text: string) => Readable.from([Buffer.from(text, 'utf8')])
const scripts = async () =>
  (await dataSource.getRepository(Script).find({ order: { id: 'ASC' } })).map((s) => ({ title: s.title, content: s.content }))
const targets = async (title: string) => {
  const script = await dataSource.getRepository(Script).findOneByOrFail({ title })
  return (await dataSource.getRepository(ScriptTagTarget).findBy({ scriptId: script.id })).map((t) => t.tagName).sort()
}

describe(`importing scripts on ${testDatabaseKind}`, () => {
  it('reads a BOM, RFC 4180 quoting (commas, quotes, newlines) and tags', async () => {
    const file = '\uFEFFcategory,title,content,tags\n' + '开场问候,新客欢迎,"{{客户称呼}}您好，我是{{导购姓名}}, ""很高兴""认识您",潜在客户|护肤\n' + '售后,物流,"第一行\n第二行",\n'
    const summary = await importScripts(dataSource, csv(file))
    expect(summary).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: [] })
    expect(await scripts()).toEqual([
      { title: '新客欢迎', content: '{{客户称呼}}您好，我是{{导购姓名}}, "很高兴"认识您' },
      { title: '物流', content: '第一行\n第二行' },
    ])
    expect(await targets('新客欢迎')).toEqual(['护肤', '潜在客户'])
    expect((await dataSource.getRepository(ScriptCategory).find()).map((c) => c.name).sort()).toEqual(['售后', '开场问候'])
  })

  it('rejects bad rows by line number and imports the rest', async () => {
    const file = [
      'category,title,content,tags',
      ',无分类,内容,', // 2
      '问候,"多行\n标题",好,', // 3-4
      '问候,空内容,,', // 5
      '问候,未知变量,{{优惠码}}到账了,', // 6
      '问候,字段太少', // 7
      '问候,好的,"你好,{{客户昵称}}",', // 8
      '问候,好的,重复的一行,', // 9
      '',
      '问候,另一条,再见,', // 11
    ].join('\n')
    const summary = await importScripts(dataSource, csv(file))
    expect(summary.created).toBe(3)
    expect(summary.rejected).toEqual([
      { line: 2, reason: 'category is empty', problem: { kind: 'empty', field: 'category' } },
      { line: 5, reason: 'content is empty', problem: { kind: 'empty', field: 'content' } },
      { line: 6, reason: expect.stringContaining('unknown variable {{优惠码}}'), problem: { kind: 'unknown_variables', names: ['优惠码'] } },
      { line: 7, reason: '2 fields where the header has 4', problem: { kind: 'field_count' } },
      { line: 9, reason: 'same category and title as line 8', problem: { kind: 'duplicate', firstLine: 8 } },
    ])
    expect((await scripts()).map((s) => s.title)).toEqual(['多行\n标题', '好的', '另一条'])
  })

  it('is idempotent: the same file twice changes nothing; a changed row updates by (category, title)', async () => {
    const file = 'category,title,content,tags\n问候,早安,早上好,护肤\n问候,晚安,晚上好,\n'
    expect(await importScripts(dataSource, csv(file))).toMatchObject({ created: 2, updated: 0, unchanged: 0 })
    expect(await importScripts(dataSource, csv(file))).toMatchObject({ created: 0, updated: 0, unchanged: 2 })
    const changed = await importScripts(dataSource, csv('category,title,content,tags\n问候,早安,早上好呀,彩妆|护肤\n'))
    expect(changed).toMatchObject({ created: 0, updated: 1, unchanged: 0 })
    expect(await scripts()).toEqual([
      { title: '早安', content: '早上好呀' },
      { title: '晚安', content: '晚上好' },
    ])
    expect(await targets('早安')).toEqual(['彩妆', '护肤'])
  })

  it('stops on a file without the required header, writing nothing', async () => {
    await expect(importScripts(dataSource, csv('name,text\n问候,你好\n'))).rejects.toThrow(CsvHeaderError)
    await expect(importScripts(dataSource, csv(''))).rejects.toThrow('header row is required')
    expect(await dataSource.getRepository(Script).count()).toBe(0)
  })

  it('npm run import -- scripts prints counts and rejected lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scrm-import-'))
    const file = join(dir, 'scripts.csv')
    writeFileSync(file, 'category,title,content\n问候,早安,早上好\n问候,,没有标题\n')
    const run = runScript('server/cli/import.ts', { args: ['scripts', file], env: { DATABASE_URL: databaseUrl } })
    expect((await run.exited).code, run.output()).toBe(0)
    expect(run.output()).toContain('scripts: created 1, updated 0, unchanged 0, rejected 1')
    expect(run.output()).toContain('line 3: title is empty')
    const missing = runScript('server/cli/import.ts', { args: ['scripts', join(dir, 'nope.csv')], env: { DATABASE_URL: databaseUrl } })
    expect((await missing.exited).code).toBe(2)
  })
})
