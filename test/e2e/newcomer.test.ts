import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { freePort } from '../app'
import { browserAvailable, launchChromium } from '../browser'
import { openDemoSidebar } from '../demoSidebar'
import { testDatabaseKind } from '../database'
import { runScript, type TestProcess } from '../processes'
import { startWecomHarness, type WecomHarness } from '../wecom'

// A newcomer opens /sidebar/ by hand, in a plain browser: what they read must tell them what to do.
const enabled = browserAvailable() && testDatabaseKind === 'sqlite'
let browser: Browser

/** No English, no function names: only what a member can act on. */
async function expectChineseNotice(page: Page, ...phrases: string[]) {
  const notice = page.getByRole('alert')
  await expect.poll(() => notice.count(), { timeout: 15_000 }).toBe(1)
  const text = (await notice.textContent())!
  for (const phrase of phrases) expect(text).toContain(phrase)
  expect(await page.locator('body').textContent()).not.toMatch(/[A-Za-z]{4,}/)
}

describe.runIf(enabled)('the sidebar opened directly in a plain browser', () => {
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(async () => browser?.close())

  describe('outside WeCom, not in demo mode', () => {
    let harness: WecomHarness
    beforeAll(async () => {
      harness = await startWecomHarness({ serve: true, synced: true })
    })
    afterAll(() => harness?.cleanup())

    it('says to open it from the WeCom chat toolbar, and stays on our page', async () => {
      const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage()
      await page.goto(`${harness.server!.url}/sidebar/`)
      await expectChineseNotice(page, '企业微信', '聊天工具栏')
      expect(new URL(page.url()).origin).toBe(harness.server!.url)
    })
  })

  describe('in demo mode', () => {
    let demo: TestProcess
    let url: string
    let cwd: string
    beforeAll(async () => {
      cwd = mkdtempSync(join(tmpdir(), 'scrm-newcomer-e2e-'))
      const port = await freePort()
      demo = runScript('server/cli/start.ts', { env: { PORT: String(port) }, cwd })
      ;[, url] = (await demo.waitFor(/sidebar\s+(http:\/\/localhost:\d+)\/sidebar\//)) as unknown as [string, string]
    })
    afterAll(async () => {
      demo?.kill('SIGTERM')
      await demo?.exited
      rmSync(cwd, { recursive: true, force: true })
    })

    it('without a chat chosen on the simulator page, links to that page', async () => {
      const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage()
      await page.goto(`${url}/sidebar/`)
      await expectChineseNotice(page, '演示')
      await page.getByRole('link', { name: '打开模拟器页面' }).click()
      await expect.poll(() => new URL(page.url()).pathname).toBe('/wecom-sim/')
    })

    it('opens a linked page (a bot card’s to-do link) with a member chosen but no chat', async () => {
      const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage()
      await page.goto(`${url}/wecom-sim/`)
      const choose = page.locator('form[action$="/__demo/oauth-user"]')
      await choose.getByLabel('成员').selectOption('zhangsan')
      await choose.getByRole('button').click()
      await expect.poll(() => page.getByRole('status').textContent()).toContain('张三')
      await page.goto(`${url}/sidebar/#/todo`)
      await expect.poll(() => page.getByRole('heading', { name: '待跟进' }).count(), { timeout: 20_000 }).toBe(1)
      expect(await page.getByRole('link', { name: '打开模拟器页面' }).count()).toBe(0)
    })

    it('opens a customer’s page from the to-do list', async () => {
      const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage()
      await openDemoSidebar(page, url, { member: 'zhangsan', customer: 'wmDemoCustomer001', name: '🌸小美' })
      await page.goto(`${url}/sidebar/#/todo`)
      const first = page.getByRole('list').getByRole('link').first()
      await expect.poll(() => first.count(), { timeout: 15_000 }).toBe(1)
      const target = (await first.getAttribute('href'))!
      await first.click()
      await expect.poll(() => new URL(page.url()).hash).toBe(target)
      expect(target).toMatch(/^#\/customer\/wmDemoCustomer\d+$/)
      await expect.poll(() => page.getByRole('heading', { level: 2, name: '推荐话术' }).count(), { timeout: 15_000 }).toBe(1)
      // Not in the chat with this customer: nothing offers to send into it.
      expect(await page.getByRole('button', { name: '发送' }).count()).toBe(0)
    })
  })
})
