import { readdirSync, readFileSync } from 'node:fs'
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

/** What ECharts stamps on the element it draws in: in a script, ECharts is in it. */
const ECHARTS_MARK = '_echarts_instance_'
/** The console's lazy chart chunks: 团队's trend, 渠道活码's days, and what they share. */
const CHART_CHUNK = /^(TeamTrend|ChannelDaysChart|ChartWithTable|useChart)-.*\.js$/

describe('the sidebar’s first load (SPEC §7)', () => {
  it('loads at most 100 KB of gzipped JavaScript, Vue and the JS-SDK included', () => {
    const { source, gzipped } = initialScripts(SIDEBAR)
    expect(source).toContain('WeixinJSBridge') // @wecom/jssdk is in it
    expect(gzipped).toBeLessThanOrEqual(100 * 1024)
  })
})

describe('the console’s first load (SPEC §7)', () => {
  it('loads at most 300 KB of gzipped JavaScript, and no ECharts', () => {
    const { source, gzipped } = initialScripts(CONSOLE)
    expect(source).toContain('/api/console/me') // the console's own code, not only Vue
    expect(source).not.toContain(ECHARTS_MARK)
    console.log(`console initial JS: ${gzipped} bytes gzipped`)
    expect(gzipped).toBeLessThanOrEqual(300 * 1024)
  })

  it('leaves ECharts to the charts’ chunks, loaded when 团队 or 渠道活码 shows a chart', () => {
    const assets = join(CONSOLE.dist, 'assets')
    const charting = readdirSync(assets).filter((file) => file.endsWith('.js') && readFileSync(join(assets, file), 'utf8').includes(ECHARTS_MARK))
    // The two charts' chunks, or the one they share (ECharts with useChart): never a page's own chunk.
    expect(charting.length).toBeGreaterThan(0)
    for (const file of charting) expect(file).toMatch(CHART_CHUNK)
    const chunks = readdirSync(assets).filter((file) => CHART_CHUNK.test(file))
    console.log(`console chart chunks: ${chunks.map((file) => `${file} ${gzipSync(readFileSync(join(assets, file))).length}`).join(', ')} bytes gzipped`)
  })
})
