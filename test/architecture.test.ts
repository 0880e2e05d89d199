import { parseCircular, parseDependencyTree, type DependencyTree } from 'dpdm'
import { beforeAll, describe, expect, it } from 'vitest'

// The import graph of the product's own code (tests may use anything, the simulator above all).
const ENTRIES = ['server/**/*.ts', 'simulator/**/*.ts', 'config/**/*.ts']
const NOT_PRODUCT = /node_modules|\.test\.ts$|\.d\.ts$/

/** Imports that would point the wrong way: a file matching `from` must not import one matching `to`. */
const FORBIDDEN: { rule: string; from: RegExp; to: RegExp; why: string }[] = [
  { rule: 'server/ outside server/demo/ does not import simulator/', from: /^server\/(?!demo\/)/, to: /^simulator\//, why: 'only the demo runs the simulator; the product talks to WeCom through server/wecom/' },
  { rule: 'server/bot/ does not import server/jobs/', from: /^server\/bot\//, to: /^server\/jobs\//, why: 'jobs use the bot, not the other way round' },
  { rule: 'server/mirror/ does not import server/orders/', from: /^server\/mirror\//, to: /^server\/orders\//, why: "WeCom's mirror knows nothing of orders" },
]

async function importGraph(withTypeImports: boolean): Promise<DependencyTree> {
  // transform: strip type-only imports first, which vanish at run time.
  return parseDependencyTree(ENTRIES, { context: process.cwd(), tsconfig: 'tsconfig.json', exclude: NOT_PRODUCT, transform: !withTypeImports, skipDynamicImports: false })
}

const own = (id: string | null): id is string => id !== null && !NOT_PRODUCT.test(id)

// Test code: the test files vitest runs and the helpers of test/.
const TEST_ENTRIES = ['config/**/*.test.ts', 'server/**/*.test.ts', 'simulator/**/*.test.ts', 'test/**/*.ts']
const TEST_CODE = /\.test\.ts$|^test\/|\/test\//
/** The tests about the demo itself: the only test code that may import server/demo/. */
const TESTS_OF_THE_DEMO = ['server/demo/demoMode.test.ts', 'simulator/console/demoPage.test.ts', 'test/e2e/demo.test.ts', 'test/e2e/newcomer.test.ts']

// The graph is the same whatever the database: checked in the SQLite project only.
describe.runIf(process.env.TEST_DB !== 'mysql')('the import graph', () => {
  let everyImport: DependencyTree
  let runtimeImports: DependencyTree
  beforeAll(async () => {
    ;[everyImport, runtimeImports] = await Promise.all([importGraph(true), importGraph(false)])
  }, 120_000)

  it.each([
    ['at run time', () => runtimeImports],
    // A circle of type imports is harmless at run time, yet says two modules are one: the shared types belong in a third.
    ['even through type imports', () => everyImport],
  ])('has no circles %s', (_, graph) => {
    const circles = parseCircular(graph()).map((circle) => [...circle, circle[0]].join(' → '))
    expect(circles, `import circles:\n${circles.join('\n')}`).toEqual([])
  })

  it.each(FORBIDDEN)('$rule', ({ from, to, why }) => {
    const wrong = Object.entries(everyImport).flatMap(([file, dependencies]) =>
      from.test(file) && dependencies ? dependencies.filter((d) => own(d.id) && to.test(d.id)).map((d) => `${file} imports ${d.id}`) : [],
    )
    expect(wrong, `${why}:\n${wrong.join('\n')}`).toEqual([])
  })

  it('only the tests about the demo import server/demo/: the others build their own data (test/company.ts, test/factories.ts)', async () => {
    // Only test code is read; what it imports is named, not followed.
    const tests = await parseDependencyTree(TEST_ENTRIES, { context: process.cwd(), tsconfig: 'tsconfig.json', include: TEST_CODE, exclude: /node_modules/, transform: false, skipDynamicImports: false })
    const testFiles = Object.keys(tests).filter((file) => TEST_CODE.test(file))
    const wrong = testFiles.flatMap((file) =>
      TESTS_OF_THE_DEMO.includes(file) ? [] : (tests[file] ?? []).filter((d) => d.id !== null && /^server\/demo\//.test(d.id)).map((d) => `${file} imports ${d.id}`),
    )
    expect(wrong, `a change to the demo must not break unrelated tests:\n${wrong.join('\n')}`).toEqual([])
    // The allowed imports are seen, so a forbidden one would be too.
    expect(testFiles).toEqual(expect.arrayContaining(['test/wecom.ts', 'server/jobs/segments.test.ts', ...TESTS_OF_THE_DEMO]))
    expect(tests['simulator/console/demoPage.test.ts']?.map((d) => d.id)).toContain('server/demo/company.ts')
  }, 120_000)

  it('sees the whole product', () => {
    // A broken resolver would pass every rule on an empty graph.
    expect(Object.keys(everyImport).filter(own).length).toBeGreaterThan(100)
    expect(Object.keys(everyImport)).toContain('server/app.ts')
    // The one allowed import of the simulator is seen, so a forbidden one would be too.
    expect(everyImport['server/demo/demoWecom.ts']?.map((d) => d.id)).toContainEqual(expect.stringMatching(/^simulator\//))
  })
})
