import { expect } from 'vitest'
import type { Page } from 'playwright-core'

/**
 * On the demo's simulator page, opens the sidebar as `member` chatting with `customer`
 * (打开聊天侧边栏), and waits until the panel shows the customer's name.
 */
export async function openDemoSidebar(page: Page, url: string, { member, customer, name }: { member: string; customer: string; name: string }): Promise<void> {
  await page.goto(`${url}/wecom-sim/`)
  const form = page.locator('form[action$="/__demo/open-sidebar"]')
  await form.getByLabel('成员').selectOption(member)
  await form.getByLabel('聊天').selectOption(customer)
  await form.getByRole('button').click()
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 20_000 }).toBe(name)
}
