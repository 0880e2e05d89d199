import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
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

/** Beside a build: the hash of the sources it was built from. */
const SOURCES_FILE = '.sources'
/** Outside a page's folder, what its build is also made of: the API contract and client it shares with the server, and the installed packages. */
const SHARED_SOURCES = [fileURLToPath(new URL('./api', import.meta.url)), fileURLToPath(new URL('../package-lock.json', import.meta.url))]

/** Every file under `path` (or `path` itself), sorted. */
function filesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path, { recursive: true })
    .map((entry) => join(path, String(entry)))
    .filter((file) => statSync(file).isFile())
    .sort()
}

/**
 * What a page's build is made of, as one hash of the files' names and contents: a build is
 * current when it was made from exactly these. (Modification times were not enough: a build
 * started before an edit finishes after it, and the shared files outside the page changed
 * without the page's own.)
 */
function sourcesHash({ root }: PageAssets): string {
  const hash = createHash('sha256')
  for (const file of [join(root, 'index.html'), join(root, 'vite.config.ts'), ...filesOf(join(root, 'src')), ...SHARED_SOURCES.flatMap(filesOf)]) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  return hash.digest('hex')
}

const builtFrom = (dist: string) => {
  const file = join(dist, SOURCES_FILE)
  return existsSync(file) ? readFileSync(file, 'utf8') : null
}

/**
 * The Vite plugin every page's config uses, so that each build (at start, `npm run build:…`,
 * a test's) says what it was built from. The hash is taken as the build starts: an edit made
 * while Vite works leaves the build stale, and the next start rebuilds.
 */
export function pageSourcesPlugin(name: PageAssets['name']): { name: string; buildStart(): void; writeBundle(options: { dir?: string }): void } {
  const assets = PAGES.find((p) => p.name === name)!
  let sources = ''
  return {
    name: 'page-sources',
    buildStart() {
      sources = sourcesHash(assets)
    },
    writeBundle({ dir }) {
      if (dir) writeFileSync(join(dir, SOURCES_FILE), sources)
    },
  }
}

export function pageIsBuilt(assets: PageAssets): boolean {
  return existsSync(join(assets.dist, 'index.html')) && builtFrom(assets.dist) === sourcesHash(assets)
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
