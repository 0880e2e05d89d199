import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { freePort } from '../app'
import { browserAvailable, launchChromium } from '../browser'
import { openDemoSidebar } from '../demoSidebar'
import { testDatabaseKind } from '../database'
import { runScript, type TestProcess } from '../processes'
import { startWecomHarness } from '../wecom'

const enabled = browserAvailable() && testDatabaseKind === 'sqlite'
let browser: Browser
let demo: TestProcess
let url: string
let cwd: string

// Demo mode is SQLite by definition: this runs once, in the SQLite project.
describe.runIf(enabled)('the demo in a plain browser', () => {
  beforeAll(async () => {
    browser = await launchChromium()
    cwd = mkdtempSync(join(tmpdir(), 'scrm-demo-e2e-'))
    const port = await freePort()
    demo = runScript('server/cli/start.ts', { env: { PORT: String(port) }, cwd })
    ;[, url] = (await demo.waitFor(/sidebar\s+(http:\/\/localhost:\d+)\/sidebar\//)) as unknown as [string, string]
  })
  afterAll(async () => {
    await browser?.close()
    demo?.kill('SIGTERM')
    await demo?.exited
    rmSync(cwd, { recursive: true, force: true })
  })

  it('opens the sidebar as a member chatting with a customer, through the stand-in WeCom host', async () => {
    const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage()
    await openDemoSidebar(page, url, { member: 'zhangsan', customer: 'wmDemoCustomer001', name: '🌸小美' })
    expect(new URL(page.url()).pathname).toBe('/sidebar/')
    const row = page.getByRole('listitem').filter({ has: page.getByRole('button', { name: '新客欢迎' }) })
    await row.getByRole('button', { name: '发送' }).click()
    await expect.poll(() => page.getByText('（演示）已发送到聊天：').textContent()).toContain('我是张三')
  })

  it('opens the sidebar with the form as it stands, and narrows the customers to the chosen member', async () => {
    const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage()
    await page.goto(`${url}/wecom-sim/`)
    const form = page.locator('form[action$="/__demo/open-sidebar"]')
    const chat = form.getByLabel('聊天')
    await form.getByLabel('成员').selectOption('lisi')
    const offered = await chat.locator('option:not([disabled])').evaluateAll((options) => options.map((option) => (option as unknown as { value: string }).value))
    // Demo customers 2, 5, 8, … are lisi's; the group chat fits everyone.
    expect(offered).toContain('wmDemoCustomer002')
    expect(offered).not.toContain('wmDemoCustomer001')
    expect(offered.at(-1)).toBe('group')
    expect(await chat.inputValue()).toBe('wmDemoCustomer002')
    await form.getByLabel('成员').selectOption('zhangsan')
    expect(await chat.inputValue()).toBe('wmDemoCustomer001')

    // As it stands: the first member with customers (the manager) and his first customer.
    await page.goto(`${url}/wecom-sim/`)
    await form.getByRole('button').click()
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 20_000 }).toBe('王女士')
    expect(new URL(page.url()).pathname).toBe('/sidebar/')
  })

  it("opens the console in one click as the demo's operator and as its manager, through WeCom's web login", async () => {
    const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage()
    await page.goto(`${url}/wecom-sim/`)
    await page.getByRole('button', { name: '以运营身份打开后台（陈静）' }).click()
    await expect.poll(() => page.getByText('当前登录：陈静（chenjing）').count(), { timeout: 20_000 }).toBe(1)
    expect(new URL(page.url()).pathname).toBe('/console/')
    await expect.poll(() => page.getByRole('table').getByRole('row').count()).toBeGreaterThan(1)

    await page.goto(`${url}/wecom-sim/`)
    await page.getByRole('button', { name: '以主管身份打开后台（王磊）' }).click()
    await expect.poll(() => page.getByText('当前登录：王磊（wanglei）').count(), { timeout: 20_000 }).toBe(1)
    // 王磊 leads 销售一部: a header row and one row for each of 张三, 李四 and 赵敏.
    await expect.poll(() => page.getByRole('table').getByRole('row').count()).toBe(4)
    expect(await page.getByRole('table').textContent()).toContain('张三')
  })

  it('shows the loss alert as a card whose button opens the customer in the sidebar as its recipient', async () => {
    const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage()
    await page.goto(`${url}/wecom-sim/`)
    const lose = page.locator('form[action$="/__demo/customer-deletes-member"]')
    await lose.getByLabel('成员').selectOption('zhangsan')
    await lose.getByLabel('客户').selectOption('wmDemoCustomer004')
    await lose.getByRole('button').click()
    await expect.poll(() => page.getByRole('status').textContent()).toContain('回调已送达 (200)')
    // Started after 09:00, the demo has sent the day's digests too; zhangsan's may name 陈先生.
    const card = page.locator('#app-messages .message').filter({ hasText: '客户流失提醒' }).filter({ hasText: '陈先生' }).filter({ hasText: '张三（zhangsan）' }).first()
    await expect.poll(async () => {
      await page.reload()
      return card.count()
    }, { timeout: 30_000 }).toBe(1)
    await card.getByRole('button', { name: /以张三的身份打开/ }).click()
    await expect.poll(() => page.url(), { timeout: 20_000 }).toContain('/sidebar/#/customer/wmDemoCustomer004')
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 20_000 }).toBe('陈先生')
  })

  it('never loads the stand-in host outside demo mode', async () => {
    const demoPage = await (await fetch(`${url}/sidebar/`)).text()
    expect(demoPage).toContain('/wecom-sim/dev-bridge.js')
    const production = await startWecomHarness({ serve: true })
    try {
      const page = await (await fetch(`${production.server!.url}/sidebar/`)).text()
      expect(page).toContain('<div id="app">')
      expect(page).not.toContain('dev-bridge')
      expect((await fetch(`${production.server!.url}/wecom-sim/dev-bridge.js`)).status).toBe(404)
    } finally {
      await production.cleanup()
    }
  })
})
