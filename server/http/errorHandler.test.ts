import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { capturingLogger, errorBody, serveApp } from '../../test/app'
import { migratedDatabase } from '../../test/database'
import { AppError, conflict } from '../errors'
import type { RunningServer } from '../server'

describe('errors and request logs', () => {
  const { logger, lines } = capturingLogger()
  let server: RunningServer
  let drop: () => Promise<void>

  beforeAll(async () => {
    const database = await migratedDatabase()
    drop = database.drop
    server = await serveApp(database.dataSource, {
      logger,
      extend: (app) =>
        app.use(async function failOnPurpose(ctx) {
          if (ctx.path === '/test/conflict') throw conflict('That tag already exists')
          if (ctx.path === '/test/crash') throw new Error('db password is hunter2')
          if (ctx.path === '/test/too-large') ctx.throw(413, 'request entity too large')
          if (ctx.path === '/test/range') ctx.throw(416, 'range not satisfiable')
          if (ctx.path === '/test/tag-deleted') throw new AppError('tag_deleted', 'This tag has been deleted')
        }),
    })
  })
  afterAll(async () => {
    await server.stop()
    await drop()
  })

  it('answers an unknown route with a JSON not_found', async () => {
    const response = await fetch(`${server.url}/no/such/route`)
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: { id: 'not_found', message: 'No route for GET /no/such/route' } })
  })

  it('answers typed errors with their id and status', async () => {
    const response = await fetch(`${server.url}/test/conflict`)
    expect(response.status).toBe(409)
    expect(await response.json()).toEqual({ error: { id: 'conflict', message: 'That tag already exists' } })
  })

  it("maps Koa's own HTTP errors onto our ids", async () => {
    const response = await fetch(`${server.url}/test/too-large`)
    expect(response.status).toBe(413)
    expect((await errorBody(response)).id).toBe('payload_too_large')
  })

  it('answers with the status the catalogue gives the id', async () => {
    const response = await fetch(`${server.url}/test/tag-deleted`)
    expect(response.status).toBe(410)
    expect(await response.json()).toEqual({ error: { id: 'tag_deleted', message: 'This tag has been deleted' } })
  })

  it('keeps the status of a Koa client error it has no id for, as bad_request', async () => {
    const response = await fetch(`${server.url}/test/range`)
    expect(response.status).toBe(416)
    expect(await response.json()).toEqual({ error: { id: 'bad_request', message: 'range not satisfiable' } })
  })

  it('hides the details of an unexpected failure from the client, and logs them', async () => {
    const response = await fetch(`${server.url}/test/crash`)
    expect(response.status).toBe(500)
    const body = await response.json()
    expect(body).toEqual({ error: { id: 'internal_error', message: 'Something went wrong on our side' } })
    expect(JSON.stringify(body)).not.toContain('hunter2')
    expect(lines()).toContain('request failed')
  })

  it('logs each request with secret query values redacted', async () => {
    await fetch(`${server.url}/healthz?access_token=TOKEN123&code=OAUTHCODE&keep=visible`, { headers: { cookie: 'sid=SESSION42' } })
    const log = lines()
    expect(log).toMatch(/"url":"\/healthz\?access_token=\*\*\*&code=\*\*\*&keep=visible"/)
    for (const secret of ['TOKEN123', 'OAUTHCODE', 'SESSION42']) expect(log).not.toContain(secret)
  })
})
