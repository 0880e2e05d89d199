import { messages } from './messages'
import type { ConsoleRole } from './types'

/**
 * The console's pages (SPEC §3.5), in the navigation's order. Each arrives with the issue
 * that builds it: one line here and its component in App.vue. Operators see every page.
 */
export const PAGES = [{ id: 'team', label: messages.pages.team, hash: '#/team', managers: true }] as const

export type PageId = (typeof PAGES)[number]['id']

export const pagesFor = (role: ConsoleRole) => PAGES.filter((page) => role === 'operator' || page.managers)

/** What a `#/…` address names. */
export type Route = { page: 'team' } | { page: 'memberCustomers'; userid: string } | { page: 'unknown' }

/** The first page for an address without a route: none, or WeCom's `#wechat_redirect` after sign-in. */
export function parseRoute(hash: string): Route {
  if (!hash.startsWith('#/') || hash === '#/' || hash === '#/team') return { page: 'team' }
  const member = /^#\/team\/members\/([^/]+)$/.exec(hash)
  if (member) {
    try {
      return { page: 'memberCustomers', userid: decodeURIComponent(member[1]!) }
    } catch {
      return { page: 'unknown' }
    }
  }
  return { page: 'unknown' }
}

export const memberCustomersHash = (userid: string) => `#/team/members/${encodeURIComponent(userid)}`

/** Which navigation entry a route belongs to: a member's customers are part of 团队. */
export const pageOf = (route: Route): PageId | null => (route.page === 'unknown' ? null : 'team')
