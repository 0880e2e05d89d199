import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from './logger'

export const SIDEBAR_ROOT = fileURLToPath(new URL('../sidebar', import.meta.url))
export const SIDEBAR_DIST = join(SIDEBAR_ROOT, 'dist')

/** Newest modification time among the sidebar's sources. */
function newestSource(): number {
  const sources = [join(SIDEBAR_ROOT, 'index.html'), join(SIDEBAR_ROOT, 'vite.config.ts')]
  for (const entry of readdirSync(join(SIDEBAR_ROOT, 'src'), { recursive: true })) {
    sources.push(join(SIDEBAR_ROOT, 'src', String(entry)))
  }
  return Math.max(...sources.map((file) => statSync(file).mtimeMs))
}

export function sidebarIsBuilt(): boolean {
  const index = join(SIDEBAR_DIST, 'index.html')
  return existsSync(index) && statSync(index).mtimeMs >= newestSource()
}

/**
 * Builds the sidebar when its build is missing or older than its sources, so that
 * `npm install && npm start` needs no build step. Several processes may start at once:
 * each builds into its own folder and the first rename wins.
 */
export async function ensureSidebarBuilt(logger: Logger): Promise<void> {
  if (sidebarIsBuilt()) return
  logger.info('building the sidebar (once, after install or a change)…')
  const { build } = await import('vite')
  const outDir = join(SIDEBAR_ROOT, `dist.building-${process.pid}`)
  await build({
    configFile: join(SIDEBAR_ROOT, 'vite.config.ts'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'warn',
  })
  if (sidebarIsBuilt()) {
    rmSync(outDir, { recursive: true, force: true })
    return
  }
  rmSync(SIDEBAR_DIST, { recursive: true, force: true })
  try {
    renameSync(outDir, SIDEBAR_DIST)
  } catch {
    // Another process renamed its build in first; theirs is as good as ours.
    rmSync(outDir, { recursive: true, force: true })
  }
}
