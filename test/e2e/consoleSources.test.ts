import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OrderSource } from '../../server/entities'
import { chromiumForFile } from '../browser'
import { openConsole, seriousViolations } from '../consoleBrowser'
import { testDatabaseKind } from '../database'
import { startWecomHarness, type WecomHarness } from '../wecom'

const chromium = chromiumForFile()
let harness: WecomHarness
beforeEach(async () => {
  harness = await startWecomHarness({ serve: true, synced: true })
})
afterEach(() => harness.cleanup())

describe.runIf(chromium.enabled)(`订单来源 in Chromium on ${testDatabaseKind}`, () => {
  it('adds a source and shows its secret once, replaces it and removes the source, each confirmed', async () => {
    const page = await openConsole(harness, chromium.browser, 'operator', { path: '/console/#/sources' })
    await page.getByRole('heading', { name: '订单来源', level: 1 }).waitFor({ timeout: 15_000 })
    await expect.poll(() => page.getByText('还没有订单来源。').count()).toBe(1)

    await page.getByLabel('来源名称').fill('youzan')
    await page.getByLabel('平台').fill('youzan')
    await page.getByRole('button', { name: '新增' }).click()
    const secretBox = page.getByRole('region', { name: '「youzan」的密钥' })
    await secretBox.waitFor()
    const secret = await secretBox.getByLabel('密钥').inputValue()
    expect(secret).toBe((await harness.dataSource.getRepository(OrderSource).findOneByOrFail({ name: 'youzan' })).secret)
    expect(await page.getByRole('table').getByRole('row', { name: /youzan/ }).count()).toBe(1)
    expect(await seriousViolations(page)).toEqual([])

    // Shown once: after 我已保存 (or a reload) it is gone from the page.
    await secretBox.getByRole('button', { name: '我已保存' }).click()
    expect(await page.content()).not.toContain(secret)

    await page.getByRole('button', { name: '更换密钥：youzan' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByRole('button', { name: '更换密钥' }).click()
    const replaced = await page.getByRole('region', { name: '「youzan」的密钥' }).getByLabel('密钥').inputValue()
    expect(replaced).not.toBe(secret)
    expect(replaced).toBe((await harness.dataSource.getRepository(OrderSource).findOneByOrFail({ name: 'youzan' })).secret)

    await page.getByRole('button', { name: '删除：youzan' }).click()
    await page.getByRole('dialog').getByRole('button', { name: '删除' }).click()
    await expect.poll(() => page.getByText('还没有订单来源。').count()).toBe(1)
    expect(await harness.dataSource.getRepository(OrderSource).count()).toBe(0)
  })

  it('says why a name is refused, and adds nothing', async () => {
    const page = await openConsole(harness, chromium.browser, 'operator', { path: '/console/#/sources' })
    await page.getByRole('heading', { name: '订单来源', level: 1 }).waitFor({ timeout: 15_000 })
    await page.getByLabel('来源名称').fill('shop')
    await page.getByLabel('平台').fill('two words')
    await page.getByRole('button', { name: '新增' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toBeTruthy()
    expect(await harness.dataSource.getRepository(OrderSource).count()).toBe(0)
  })
})
