import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ScriptTagTarget, Tag } from '../entities'
import { jsonBody } from '../../test/app'
import { signedIn } from '../../test/browserSession'
import { testDatabaseKind } from '../../test/database'
import { buildScript } from '../../test/factories'
import { startWecomHarness, type WecomHarness } from '../../test/wecom'

let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(() => harness.cleanup())

/** Every script's target tag names, by title. */
async function targets(): Promise<Record<string, string[]>> {
  const rows: { title: string; tag_name: string }[] = await harness.dataSource.query('SELECT s.title, t.tag_name FROM script_tag_targets t JOIN scripts s ON s.id = t.script_id ORDER BY s.title, t.tag_name')
  const byTitle: Record<string, string[]> = {}
  for (const row of rows) (byTitle[row.title] ??= []).push(row.tag_name)
  return byTitle
}

describe(`scripts aimed at a renamed tag, on ${testDatabaseKind}`, () => {
  it('follow a rename in the console', async () => {
    await buildScript(harness.dataSource, { title: '护肤推荐', tags: ['护肤', '重要客户'] })
    await buildScript(harness.dataSource, { title: '已有新名', tags: ['护肤', '护肤品'] })
    const skin = await harness.dataSource.getRepository(Tag).findOneByOrFail({ wecomTagId: 'etSkin' })
    const api = (await signedIn(harness, 'operator')).api
    await jsonBody(await api(`/api/console/tags/${skin.id}`, { method: 'PATCH', body: JSON.stringify({ name: '护肤品' }) }))
    // A script aimed at both names keeps one target.
    expect(await targets()).toEqual({ 护肤推荐: ['护肤品', '重要客户'], 已有新名: ['护肤品'] })
  })

  it("follow a rename in WeCom's admin console, which arrives as a callback", async () => {
    await buildScript(harness.dataSource, { title: '老客关怀', tags: ['普通客户'] })
    await harness.simulator.adminRenamesTag({ tagId: 'etNormal', name: '普通会员' })
    expect(await harness.drainInbox()).toBe(1)
    expect(await targets()).toEqual({ 老客关怀: ['普通会员'] })
  })

  it('stay when another group still has a tag of the old name', async () => {
    await harness.simulator.adminCreatesTag({ groupName: '来源渠道', tagName: '护肤' })
    expect(await harness.drainInbox()).toBe(1)
    await buildScript(harness.dataSource, { title: '护肤推荐', tags: ['护肤'] })
    await harness.simulator.adminRenamesTag({ tagId: 'etSkin', name: '护肤品' })
    expect(await harness.drainInbox()).toBe(1)
    expect(await targets()).toEqual({ 护肤推荐: ['护肤'] })
    expect(await harness.dataSource.getRepository(ScriptTagTarget).count()).toBe(1)
  })
})
