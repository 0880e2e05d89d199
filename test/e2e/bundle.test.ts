import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { CONSOLE, SIDEBAR, type PageAssets } from '../../server/pageAssets'

/** Everything a built page's index.html loads up front: entry scripts and their modulepreloads, and their gzipped size. */
function initialScripts({ name, dist }: PageAssets): { source: string; gzipped: number } {
  const html = readFileSync(join(dist, 'index.html'), 'utf8')
  const files = [...html.matchAll(new RegExp(`(?:src|href)="/${name}/(assets/[^"]+\\.js)"`, 'g'))].map((match) => match[1]!)
  expect(files.length).toBeGreaterThan(0)
  const contents = files.map((file) => readFileSync(join(dist, file)))
  return { source: contents.map((content) => content.toString('utf8')).join('\n'), gzipped: contents.reduce((total, content) => total + gzipSync(content).length, 0) }
}

describe('the sidebar’s first load (SPEC §7)', () => {
  it('loads at most 100 KB of gzipped JavaScript, Vue and the JS-SDK included', () => {
    const { source, gzipped } = initialScripts(SIDEBAR)
    expect(source).toContain('WeixinJSBridge') // @wecom/jssdk is in it
    expect(gzipped).toBeLessThanOrEqual(100 * 1024)
  })
})

describe('the console’s first load (SPEC §7)', () => {
  it('loads at most 300 KB of gzipped JavaScript', () => {
    const { source, gzipped } = initialScripts(CONSOLE)
    expect(source).toContain('/api/console/me') // the console's own code, not only Vue
    console.log(`console initial JS: ${gzipped} bytes gzipped`)
    expect(gzipped).toBeLessThanOrEqual(300 * 1024)
  })
})
