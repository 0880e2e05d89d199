import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const TSX = `${REPO_ROOT}node_modules/.bin/tsx`

/** Our configuration variables: never inherited from the developer's shell by a test. */
const CONFIG_VARIABLES = /^(PORT|HOST|PUBLIC_URL|DATABASE_URL|WECOM_.*|ADMIN_USERIDS|SESSION_SECRET|SCRM_TIMEZONE|DIGEST_CRON|LOG_LEVEL|METRICS_TOKEN|TZ)$/

export interface TestProcess {
  child: ChildProcess
  /** Signals the whole process group: tsx runs our code in a child of its own, which must not outlive it. */
  kill(signal?: NodeJS.Signals): void
  output(): string
  /** Resolves with the first match of `pattern` in stdout + stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** With `recordModules`: every module the process has loaded so far, as repository paths ('server/app.ts'). */
  loadedModules(): string[]
}

/** Runs one of our TypeScript entry points in a child process, as `npm` would. */
export function runScript(
  script: string,
  {
    args = [],
    env = {},
    cwd = REPO_ROOT,
    recordModules = false,
  }: { args?: string[]; env?: Record<string, string>; cwd?: string; recordModules?: boolean } = {},
): TestProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !CONFIG_VARIABLES.test(key)))
  const recorder = recordModules ? moduleRecorder(inherited.NODE_OPTIONS) : null
  const child = spawn(TSX, ['--tsconfig', `${REPO_ROOT}tsconfig.json`, `${REPO_ROOT}${script}`, ...args], {
    cwd,
    env: { ...inherited, ...recorder?.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  const listeners = new Set<() => void>()
  const append = (chunk: Buffer) => {
    output += chunk.toString()
    for (const listener of listeners) listener()
  }
  child.stdout!.on('data', append)
  child.stderr!.on('data', append)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )

  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern)
        if (match) {
          cleanup()
          resolve(match)
        }
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        listeners.delete(check)
      }
      listeners.add(check)
      exited.then(() => {
        check()
        if (listeners.has(check)) {
          cleanup()
          reject(new Error(`process exited before ${pattern}; output:\n${output}`))
        }
      })
      check()
    })

  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // Already gone.
    }
  }
  // What it loaded stays readable after the process exits; its temporary files do not.
  let recorded: string[] | undefined
  void exited.then(() => {
    recorded = recorder?.read()
    recorder?.remove()
  })
  const loadedModules = () => {
    if (!recorder) throw new Error('runScript was not asked to recordModules')
    return recorded ?? recorder.read()
  }
  return { child, kill, output: () => output, waitFor, exited, loadedModules }
}

/**
 * A module hook (Node's module.register) in the child that appends the URL of every module it
 * loads to a file: what a process really ran, dynamic imports included.
 */
function moduleRecorder(nodeOptions = ''): { env: Record<string, string>; read(): string[]; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), 'scrm-modules-'))
  const [hooks, register, loaded] = ['hooks.mjs', 'register.mjs', 'loaded.txt'].map((name) => join(directory, name)) as [string, string, string]
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs'
let file
export function initialize(data) { file = data }
export async function load(url, context, nextLoad) {
  appendFileSync(file, url + '\\n')
  return nextLoad(url, context)
}
`,
  )
  writeFileSync(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)}, { data: ${JSON.stringify(loaded)} })\n`)
  const root = pathToFileURL(REPO_ROOT).href
  return {
    env: { NODE_OPTIONS: `${nodeOptions} --import ${pathToFileURL(register).href}`.trim() },
    read: () =>
      existsSync(loaded)
        ? [...new Set(readFileSync(loaded, 'utf8').split('\n'))].filter((url) => url.startsWith(root) && !url.includes('/node_modules/')).map((url) => url.slice(root.length))
        : [],
    remove: () => rmSync(directory, { recursive: true, force: true }),
  }
}
