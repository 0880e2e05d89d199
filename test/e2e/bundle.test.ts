import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { SIDEBAR_DIST } from '../../server/sidebarAssets'

const BUDGET_BYTES = 100 * 1024

describe('the sidebar’s first load (SPEC §7)', () => {
  it('loads at most 100 KB of gzipped JavaScript, Vue and the JS-SDK included', () => {
    const html = readFileSync(join(SIDEBAR_DIST, 'index.html'), 'utf8')
    // Everything index.html loads up front: entry scripts and their modulepreloads.
    const scripts = [...html.matchAll(/(?:src|href)="\/sidebar\/(assets\/[^"]+\.js)"/g)].map((match) => match[1]!)
    expect(scripts.length).toBeGreaterThan(0)
    const gzipped = scripts.reduce((total, file) => total + gzipSync(readFileSync(join(SIDEBAR_DIST, file))).length, 0)
    const source = scripts.map((file) => readFileSync(join(SIDEBAR_DIST, file), 'utf8')).join('\n')
    expect(source).toContain('WeixinJSBridge') // @wecom/jssdk is in it
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES)
  })
})
