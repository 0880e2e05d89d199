import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import axios from 'axios'
import { describe, expect, it } from 'vitest'
import { takeRefusedConnections } from './noExternalNetwork'

const REFUSAL = /a test tried to connect to qyapi\.weixin\.qq\.com:443: tests never leave this machine/

describe('tests never reach a real host', () => {
  it('axios to WeCom fails, naming the host', async () => {
    await expect(axios.get('https://qyapi.weixin.qq.com/cgi-bin/gettoken', { timeout: 5_000 })).rejects.toThrow(REFUSAL)
    expect(takeRefusedConnections()).toEqual([expect.stringMatching(REFUSAL)])
  })

  it('fetch to WeCom fails, naming the host', async () => {
    const failure = await fetch('https://qyapi.weixin.qq.com/cgi-bin/gettoken').catch((error: Error) => error)
    expect((failure as Error & { cause?: Error }).cause?.message).toMatch(REFUSAL)
    expect(takeRefusedConnections()).toEqual([expect.stringMatching(REFUSAL)])
  })

  it('this machine stays reachable', async () => {
    const server = createServer((_request, response) => response.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok')
      expect((await axios.get(`http://localhost:${port}/`)).data).toBe('ok')
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    expect(takeRefusedConnections()).toEqual([])
  })
})
