import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from './logger'

/** A browser page of ours: a Vite project beside server/, served as built from its dist/. */
export interface PageAssets {
  name: string
  root: string
  dist: string
}

function page(name: string): PageAssets {
  const root = fileURLToPath(new URL(`../${name}`, import.meta.url))
  return { name, root, dist: join(root, 'dist') }
}

/** The chat-toolbar page, at /sidebar/. */
export const SIDEBAR = page('sidebar')
/** The operator and manager console, at /console/. */
export const CONSOLE = page('console')
export const PAGES: readonly PageAssets[] = [SIDEBAR, CONSOLE]

export const SIDEBAR_DIST = SIDEBAR.dist
export const CONSOLE_DIST = CONSOLE.dist

/** Newest modification time among a page's sources. */
function newestSource({ root }: PageAssets): number {
  const sources = [join(root, 'index.html'), join(root, 'vite.config.ts')]
  for (const entry of readdirSync(join(root, 'src'), { recursive: true })) {
    sources.push(join(root, 'src', String(entry)))
  }
  return Math.max(...sources.map((file) => statSync(file).mtimeMs))
}

export function pageIsBuilt(assets: PageAssets): boolean {
  const index = join(assets.dist, 'index.html')
  return existsSync(index) && statSync(index).mtimeMs >= newestSource(assets)
}

/**
 * Builds a page when its build is missing or older than its sources, so that
 * `npm install && npm start` needs no build step. Several processes may start at once:
 * each builds into its own folder and the first rename wins.
 */
export async function ensurePageBuilt(assets: PageAssets, logger: Logger): Promise<void> {
  if (pageIsBuilt(assets)) return
  logger.info(`building the ${assets.name} (once, after install or a change)…`)
  const { build } = await import('vite')
  const outDir = join(assets.root, `dist.building-${process.pid}`)
  await build({
    configFile: join(assets.root, 'vite.config.ts'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'warn',
  })
  if (pageIsBuilt(assets)) {
    rmSync(outDir, { recursive: true, force: true })
    return
  }
  rmSync(assets.dist, { recursive: true, force: true })
  try {
    renameSync(outDir, assets.dist)
  } catch {
    // Another process renamed its build in first; theirs is as good as ours.
    rmSync(outDir, { recursive: true, force: true })
  }
}

/** Every page, one after the other: two Vite builds at once would only compete for the same cores. */
export async function ensurePagesBuilt(logger: Logger): Promise<void> {
  for (const assets of PAGES) await ensurePageBuilt(assets, logger)
}
