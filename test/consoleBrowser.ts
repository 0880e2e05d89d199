/**
 * The console in Chromium, as the browser tests of its pages open it: signed in from the
 * WeCom client (a user agent with `wxwork`, so sign-in takes OAuth, which the simulator
 * answers as `userid`), and checked with axe-core.
 */
import axe from 'axe-core'
import type { Browser, Page } from 'playwright-core'
import { WECOM_USER_AGENT } from './browser'
import type { WecomHarness } from './wecom'

export async function openConsole(harness: WecomHarness, browser: Browser, userid: string, { path = '/console/', width = 1280 } = {}): Promise<Page> {
  harness.simulator.setOauthUser(userid)
  const context = await browser.newContext({ userAgent: WECOM_USER_AGENT, locale: 'zh-CN', viewport: { width, height: 800 } })
  const page = await context.newPage()
  await page.goto(`${harness.server!.url}${path}`)
  return page
}

/** Every serious or critical axe-core violation on the page as it is now. */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  // Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
  await page.evaluate(axe.source)
  const results = (await page.evaluate('axe.run(document)')) as axe.AxeResults
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ id: violation.id, impact: violation.impact!, nodes: violation.nodes.map((node) => node.html) }))
}
