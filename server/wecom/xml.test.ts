import { describe, expect, it } from 'vitest'
import { cpuBudgetMs, cpuTimes } from '../../test/cpuTime'
import { hostilePlaintexts } from '../../test/hostileCallbacks'
import { parseXml } from './xml'

describe('parseXml', () => {
  it('keeps the elements WeCom repeats as arrays, and only those', () => {
    expect(parseXml('<xml><MemChangeList><Item>Jack</Item></MemChangeList><ExtAttr><Item><Name>a</Name></Item><Item><Name>b</Name></Item></ExtAttr></xml>')).toEqual({
      MemChangeList: { Item: ['Jack'] },
      ExtAttr: { Item: [{ Name: 'a' }, { Name: 'b' }] },
    })
    expect(parseXml('<xml><Other><Item>x</Item></Other><Item>y</Item></xml>')).toEqual({ Other: { Item: 'x' }, Item: 'y' })
  })

  it('answers null, not an error, for nesting deeper than any WeCom document', () => {
    const nested = (depth: number) => `<xml>${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}</xml>`
    expect(parseXml(nested(10))).not.toBeNull()
    for (const depth of [40, 101, 10_000]) expect(parseXml(nested(depth))).toBeNull()
  })

  it('answers null, not an error, for element names the parser refuses', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) expect(parseXml(`<xml><Event>x</Event><${name}>1</${name}></xml>`)).toBeNull()
  })

  it('parses every costly shape in time linear in its size, up to the largest plaintext a callback can carry', async () => {
    // A 1 MB envelope carries at most ~768 KB of plaintext.
    const texts = Object.fromEntries(
      [64 * 1024, 760 * 1024].flatMap((size) => Object.entries(hostilePlaintexts(size)).map(([shape, text]) => [`${shape} of ${size} chars`, text])),
    )
    const times = await cpuTimes('parseXml', texts, 20_000)
    for (const [name, text] of Object.entries(texts)) expect(times[name], name).toBeLessThanOrEqual(cpuBudgetMs(Buffer.byteLength(text)))
  })
})
