import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConsoleScript, ScriptImportResult, ScriptInput, ScriptLibrary } from '../api/contract'
import { ActivityLog, Script, ScriptCategory, ScriptMemberUsage, ScriptTagTarget } from '../entities'
import { errorBody, jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { buildScriptLibrary } from '../../test/company'
import { testDatabaseKind } from '../../test/database'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
  await buildScriptLibrary(harness.dataSource)
})
afterEach(() => harness.cleanup())

type Api = Awaited<ReturnType<typeof signedIn>>['api']
const as = async (userid: string) => (await signedIn(harness, userid)).api
const send = (api: Api, path: string, method: string, body: unknown) => api(path, { method, body: JSON.stringify(body) })
const library = async (api: Api, query = '') => jsonBody<ScriptLibrary>(await api(`/api/console/scripts${query}`))
const idOf = async (title: string) => (await harness.dataSource.getRepository(Script).findOneByOrFail({ title })).id
const activity = async (action: string) =>
  (await harness.dataSource.getRepository(ActivityLog).find({ where: { action }, order: { id: 'ASC' } })).map((row) => ({ actor: row.actorMemberId, detail: JSON.parse(row.detail) as Record<string, unknown> }))
const operatorId = async () => (await harness.dataSource.query("SELECT id FROM members WHERE userid = 'operator'"))[0].id as number

/** Everything 话术库 can change, to show that a refusal changed none of it. */
async function snapshot() {
  const ds = harness.dataSource
  return {
    scripts: await ds.getRepository(Script).find({ order: { id: 'ASC' } }),
    categories: await ds.getRepository(ScriptCategory).find({ order: { id: 'ASC' } }),
    targets: await ds.getRepository(ScriptTagTarget).find({ order: { scriptId: 'ASC', tagName: 'ASC' } }),
    usage: await ds.getRepository(ScriptMemberUsage).find(),
    activity: await ds.getRepository(ActivityLog).count(),
  }
}

const NEW_SCRIPT: ScriptInput = { category: '复购提醒', title: '回购提醒', content: '{{客户称呼}}，您上次买的{{最近购买}}快用完了吧？', tags: ['重要客户', ' 护肤 ', '重要客户', ''] }

describe(`the 话术库 API on ${testDatabaseKind}`, () => {
  it('is for operators: a manager gets 403 forbidden, anyone else 403 no_console_access, nobody signed in 401', async () => {
    const id = await idOf('新客欢迎')
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/console/scripts'],
      ['GET', '/api/console/scripts?q=问候'],
      ['POST', '/api/console/scripts', NEW_SCRIPT],
      ['PUT', `/api/console/scripts/${id}`, NEW_SCRIPT],
      ['DELETE', `/api/console/scripts/${id}`],
      ['POST', '/api/console/scripts/import', { csv: 'category,title,content\n问候,早安,早上好\n' }],
    ]
    const before = await snapshot()
    for (const [userid, status, errorId] of [['manager', 403, 'forbidden'], ['seller', 403, 'no_console_access']] as const) {
      const api = await as(userid)
      for (const [method, path, body] of calls) {
        const response = await api(path, { method, body: body === undefined ? undefined : JSON.stringify(body) })
        expect(response.status, `${userid} ${method} ${path}`).toBe(status)
        expect((await errorBody(response)).id, `${userid} ${method} ${path}`).toBe(errorId)
      }
    }
    for (const [method, path] of calls) expect((await fetch(`${harness.server!.url}${path}`, { method })).status, `${method} ${path}`).toBe(401)
    expect(await snapshot()).toEqual(before)
    expect((await (await as('operator'))('/api/console/scripts')).status).toBe(200)
  })

  it('lists every script with its category, tags and send count, and the categories to filter by', async () => {
    const seller = await signedIn(harness, 'seller')
    const sent = await send(seller.api, '/api/customers/wmChen/script-sends', 'POST', { scriptId: await idOf('节日问候'), edited: false })
    expect(sent.status).toBe(204)

    const all = await library(await as('operator'))
    expect(all.total).toBe(6)
    expect(all.scripts.map((s) => s.title).sort()).toEqual(['会员回馈', '护肤新品', '新客欢迎', '物流跟进', '彩妆试色', '节日问候'].sort())
    // The most recently changed first: the library was built in order.
    expect(all.scripts[0]!.title).toBe('会员回馈')
    const welcome = all.scripts.find((s) => s.title === '新客欢迎')!
    expect(welcome).toMatchObject({ category: { name: '开场问候' }, tags: ['潜在客户'], sendCount: 0, content: expect.stringContaining('{{导购姓名}}') })
    expect(all.scripts.find((s) => s.title === '节日问候')).toMatchObject({ sendCount: 1, tags: [] })
    expect(all.categories.map((c) => [c.name, c.scripts])).toEqual(
      expect.arrayContaining([
        ['开场问候', 2],
        ['产品推荐', 2],
        ['售后关怀', 2],
      ]),
    )
    expect(all.categories).toHaveLength(3)
    expect(all.variables).toEqual(['客户称呼', '客户昵称', '导购姓名', '最近购买', '订单状态', '累计消费'])
  })

  it('searches titles and contents, filters by category, and takes LIKE characters literally', async () => {
    const api = await as('operator')
    expect((await library(api, `?q=${encodeURIComponent('问候')}`)).scripts.map((s) => s.title)).toEqual(['节日问候'])
    // In the content only.
    expect((await library(api, `?q=${encodeURIComponent('口红')}`)).scripts.map((s) => s.title)).toEqual(['彩妆试色'])
    expect((await library(api, `?q=${encodeURIComponent('  客户称呼 ')}`)).total).toBe(6)
    const aftercare = (await library(api)).categories.find((c) => c.name === '售后关怀')!
    const inCategory = await library(api, `?category=${aftercare.id}`)
    expect(inCategory.scripts.map((s) => s.title).sort()).toEqual(['会员回馈', '物流跟进'].sort())
    expect((await library(api, `?category=${aftercare.id}&q=${encodeURIComponent('订单')}`)).scripts.map((s) => s.title)).toEqual(['物流跟进'])
    for (const literal of ['%', '_', '!']) expect((await library(api, `?q=${encodeURIComponent(literal)}`)).total, literal).toBe(0)
    for (const bad of [`?q=${'长'.repeat(101)}`, '?category=abc', '?category=0', '?q=a&q=b']) {
      const response = await api(`/api/console/scripts${bad}`)
      expect(response.status, bad).toBe(400)
      expect((await errorBody(response)).id).toBe('bad_request')
    }
  })

  it('creates a script in a new category, edits it into another, deletes it, and logs each change with its actor', async () => {
    const api = await as('operator')
    const created = await jsonBody<ConsoleScript>(await send(api, '/api/console/scripts', 'POST', NEW_SCRIPT), 201)
    expect(created).toMatchObject({ category: { name: '复购提醒' }, title: '回购提醒', content: NEW_SCRIPT.content, tags: expect.arrayContaining(['护肤', '重要客户']), sendCount: 0 })
    expect(created.tags).toHaveLength(2)
    expect((await library(api)).scripts[0]).toEqual(created)
    expect((await library(api)).categories.map((c) => c.name)).toContain('复购提醒')

    const edited = await jsonBody<ConsoleScript>(await send(api, `/api/console/scripts/${created.id}`, 'PUT', { category: '开场问候', title: '回购提醒（新）', content: '{{客户称呼}}，好久不见！', tags: ['潜在客户'] }))
    expect(edited).toMatchObject({ id: created.id, category: { name: '开场问候' }, title: '回购提醒（新）', content: '{{客户称呼}}，好久不见！', tags: ['潜在客户'] })
    expect((await harness.dataSource.getRepository(ScriptTagTarget).findBy({ scriptId: created.id })).map((t) => t.tagName)).toEqual(['潜在客户'])
    // Its old category holds nothing now: it is no longer offered.
    expect((await library(api)).categories.map((c) => c.name)).not.toContain('复购提醒')
    // The same fields again: nothing to change, nothing logged.
    await jsonBody<ConsoleScript>(await send(api, `/api/console/scripts/${created.id}`, 'PUT', { category: '开场问候', title: '回购提醒（新）', content: '{{客户称呼}}，好久不见！', tags: ['潜在客户'] }))

    const deleted = await api(`/api/console/scripts/${created.id}`, { method: 'DELETE' })
    expect(deleted.status).toBe(204)
    expect(await harness.dataSource.getRepository(Script).countBy({ id: created.id })).toBe(0)
    expect(await harness.dataSource.getRepository(ScriptTagTarget).countBy({ scriptId: created.id })).toBe(0)
    expect((await api(`/api/console/scripts/${created.id}`, { method: 'DELETE' })).status).toBe(404)

    const actor = await operatorId()
    expect(await activity('script_created')).toEqual([{ actor, detail: { scriptId: created.id, category: '复购提醒', title: '回购提醒', tags: ['重要客户', '护肤'] } }])
    expect(await activity('script_updated')).toEqual([
      { actor, detail: { scriptId: created.id, category: '开场问候', title: '回购提醒（新）', changed: ['category', 'title', 'content', 'tags'], was: { category: '复购提醒', title: '回购提醒' } } },
    ])
    expect(await activity('script_deleted')).toEqual([{ actor, detail: { scriptId: created.id, category: '开场问候', title: '回购提醒（新）', sendCount: 0 } }])
  })

  it('deletes a script that was sent, with its per-member counts', async () => {
    const seller = await signedIn(harness, 'seller')
    const id = await idOf('节日问候')
    expect((await send(seller.api, '/api/customers/wmChen/script-sends', 'POST', { scriptId: id, edited: true })).status).toBe(204)
    expect((await (await as('operator'))(`/api/console/scripts/${id}`, { method: 'DELETE' })).status).toBe(204)
    expect(await harness.dataSource.getRepository(ScriptMemberUsage).countBy({ scriptId: id })).toBe(0)
    expect((await activity('script_deleted'))[0]!.detail).toMatchObject({ title: '节日问候', sendCount: 1 })
  })

  it('refuses bad scripts with a clear error, and changes nothing', async () => {
    const api = await as('operator')
    const id = await idOf('新客欢迎')
    const before = await snapshot()
    const refusals: [string, string, unknown, number, string][] = [
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, title: '   ' }, 400, 'validation_failed'],
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, category: '' }, 400, 'validation_failed'],
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, content: '' }, 400, 'validation_failed'],
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, title: '长'.repeat(129) }, 400, 'validation_failed'],
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, content: '字'.repeat(4001) }, 400, 'validation_failed'],
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, tags: ['签'.repeat(65)] }, 400, 'validation_failed'],
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, tags: '重要客户' }, 400, 'validation_failed'],
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, sendCount: 99 }, 400, 'validation_failed'],
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, content: '{{优惠码}}已到账' }, 400, 'script_variable'],
      // The natural key (SPEC §3.4): a second 新客欢迎 in 开场问候, made or edited into.
      ['POST', '/api/console/scripts', { ...NEW_SCRIPT, category: '开场问候', title: '新客欢迎' }, 409, 'script_exists'],
      ['PUT', `/api/console/scripts/${await idOf('节日问候')}`, { ...NEW_SCRIPT, category: ' 开场问候', title: '新客欢迎 ' }, 409, 'script_exists'],
      ['PUT', `/api/console/scripts/${id}`, { ...NEW_SCRIPT, content: '{{ 优惠码 }}' }, 400, 'script_variable'],
      ['PUT', '/api/console/scripts/999999', NEW_SCRIPT, 404, 'script_not_found'],
      ['PUT', '/api/console/scripts/abc', NEW_SCRIPT, 404, 'not_found'],
      ['DELETE', '/api/console/scripts/999999', undefined, 404, 'script_not_found'],
      ['DELETE', '/api/console/scripts/-1', undefined, 404, 'not_found'],
      ['POST', '/api/console/scripts/import', { file: 'x' }, 400, 'validation_failed'],
    ]
    for (const [method, path, body, status, errorId] of refusals) {
      const response = await api(path, { method, body: body === undefined ? undefined : JSON.stringify(body) })
      expect(response.status, `${method} ${path} ${String(JSON.stringify(body)).slice(0, 80)}`).toBe(status)
      expect((await errorBody(response)).id, `${method} ${path}`).toBe(errorId)
    }
    const broken = await api('/api/console/scripts', { method: 'POST', body: '{"category":' })
    expect(broken.status).toBe(400)
    expect(await snapshot()).toEqual(before)
  })

  it('imports a CSV: counts, the rejected lines with their line numbers and problems, one log entry; again, nothing changes', async () => {
    const api = await as('operator')
    const csv = [
      'category,title,content,tags',
      '开场问候,新客欢迎,"{{客户称呼}}您好，欢迎光临！",潜在客户', // 2: updates
      '节日,中秋问候,"{{客户称呼}}，中秋快乐,阖家团圆",重要客户|护肤', // 3: new
      '节日,,没有标题,', // 4
      '节日,优惠,{{优惠码}}到账了,', // 5
      '节日,太短', // 6
      '节日,中秋问候,又一行,', // 7
    ].join('\n')
    const result = await jsonBody<ScriptImportResult>(await send(api, '/api/console/scripts/import', 'POST', { csv }))
    expect(result).toMatchObject({ created: 1, updated: 1, unchanged: 0 })
    expect(result.rejected).toEqual([
      { line: 4, reason: 'title is empty', problem: { kind: 'empty', field: 'title' } },
      { line: 5, reason: expect.stringContaining('{{优惠码}}'), problem: { kind: 'unknown_variables', names: ['优惠码'] } },
      { line: 6, reason: '2 fields where the header has 4', problem: { kind: 'field_count' } },
      { line: 7, reason: 'same category and title as line 3', problem: { kind: 'duplicate', firstLine: 3 } },
    ])
    const after = await library(api, `?q=${encodeURIComponent('中秋')}`)
    expect(after.scripts).toEqual([expect.objectContaining({ title: '中秋问候', category: expect.objectContaining({ name: '节日' }), content: '{{客户称呼}}，中秋快乐,阖家团圆', tags: expect.arrayContaining(['重要客户', '护肤']) })])
    expect((await library(api, `?q=${encodeURIComponent('欢迎光临')}`)).scripts.map((s) => s.title)).toEqual(['新客欢迎'])
    expect(await activity('scripts_imported')).toEqual([{ actor: await operatorId(), detail: { created: 1, updated: 1 } }])

    const again = await jsonBody<ScriptImportResult>(await send(api, '/api/console/scripts/import', 'POST', { csv: `\uFEFF${csv}` }))
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 2 })
    expect(again.rejected.map((r) => r.line)).toEqual([4, 5, 6, 7])
    expect(await activity('scripts_imported')).toHaveLength(1)
  })

  it('refuses a file that is not the scripts CSV, or is too large, importing none of it', async () => {
    const api = await as('operator')
    const before = await snapshot()
    const refusals: [string, string][] = [
      ['', 'csv_header'],
      ['name,text\n问候,你好\n', 'csv_header'],
      // Good lines first, then a quote that never closes: not even the good lines are imported.
      ['category,title,content\n问候,早安,早上好\n问候,晚安,"晚上好\n', 'csv_syntax'],
      ['category,title,content\n问候,早安,早上好\n问候,晚安,晚"上好\n', 'csv_syntax'],
    ]
    for (const [csv, errorId] of refusals) {
      const response = await send(api, '/api/console/scripts/import', 'POST', { csv })
      expect(response.status, csv).toBe(400)
      expect((await errorBody(response)).id, csv).toBe(errorId)
    }
    const huge = await send(api, '/api/console/scripts/import', 'POST', { csv: `category,title,content\n${'问候,早安,早上好\n'.repeat(120_000)}` })
    expect(huge.status).toBe(413)
    expect((await errorBody(huge)).id).toBe('payload_too_large')
    expect(await snapshot()).toEqual(before)
  })
})
