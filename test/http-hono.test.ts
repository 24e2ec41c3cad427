import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { authHandler, requireAuth } from '../plugins/adapters/hono.js'
import { makeAuth } from './helpers/auth.js'
import { runHttpCases, type StartApp } from './helpers/http-cases.js'

const start: StartApp = async (auth, options) => {
  const app = new Hono()
  app.use(authHandler(auth, options))
  app.get('/health', (c) => c.text('ok'))
  app.post('/api/echo', async (c) => c.json({ echo: await c.req.json() }))
  app.get('/api/me', requireAuth(auth), (c) => c.json({ claims: c.get('auth') }))
  app.get('/api/admin', requireAuth(auth, { roles: ['admin'] }), (c) => c.json({ claims: c.get('auth') }))
  const server = await new Promise<ServerType>((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}

t.test('Hono adapter (on @hono/node-server) answers every shared case', (t) => runHttpCases(t, start))

t.test('options are checked when the factory is called', async (t) => {
  const auth = await makeAuth(t)
  t.throws(() => authHandler(null as never), TypeError)
  t.throws(() => authHandler(auth, { trustProxy: [] } as never), TypeError)
  t.throws(() => requireAuth(auth, { roles: [] }), TypeError)
  t.throws(() => requireAuth(auth, { roles: ['admin'], extra: 1 } as never), TypeError)
})
