import type { Component } from 'vue'
import { messages } from './messages'
import type { ConsoleRole } from './types'

export interface ConsolePage {
  id: string
  label: string
  /** Managers see 团队 only; operators every page. */
  managers: boolean
  /** The page's component, loaded when first opened; it gets `me` and `path` (the address after `#/<id>/`). */
  component?: () => Promise<Component>
}

/**
 * The console's pages (SPEC §3.5), in the navigation's order. Each arrives with the issue
 * that builds it: one entry here, its component under pages/, its texts in messages.ts.
 * 团队 is App.vue's own (it keeps the picked team while a member's customers are open).
 */
export const PAGES: ConsolePage[] = [
  { id: 'team', label: messages.pages.team, managers: true },
  { id: 'scripts', label: messages.pages.scripts, managers: false, component: () => import('./pages/ScriptsPage.vue') },
  { id: 'tags', label: messages.pages.tags, managers: false, component: () => import('./pages/TagsPage.vue') },
  { id: 'channels', label: messages.pages.channels, managers: false, component: () => import('./pages/ChannelsPage.vue') },
  { id: 'rules', label: messages.pages.rules, managers: false, component: () => import('./pages/RulesPage.vue') },
  { id: 'sources', label: messages.pages.sources, managers: false, component: () => import('./pages/SourcesPage.vue') },
  { id: 'system', label: messages.pages.system, managers: false, component: () => import('./pages/SystemPage.vue') },
]

export const pagesFor = (role: ConsoleRole) => PAGES.filter((page) => role === 'operator' || page.managers)

export const pageHash = (id: string) => `#/${id}`

/** What a `#/…` address names: a page and the rest of the path, e.g. `#/team/members/seller` → team, ['members', 'seller']; null: no page of ours. */
export type Route = { page: string; path: string[] } | null

/** The first page for an address without a route: none, or WeCom's `#wechat_redirect` after sign-in. */
export function parseRoute(hash: string): Route {
  if (!hash.startsWith('#/') || hash === '#/') return { page: 'team', path: [] }
  try {
    const [id, ...path] = hash.slice(2).split('/').map(decodeURIComponent)
    return PAGES.some((page) => page.id === id) ? { page: id!, path } : null
  } catch {
    return null
  }
}

export const memberCustomersHash = (userid: string) => `#/team/members/${encodeURIComponent(userid)}`
