import express from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { authRouter, requireAuth } from '../plugins/adapters/express.js'
import { makeAuth } from './helpers/auth.js'
import { claimsBody, runHttpCases, type StartApp } from './helpers/http-cases.js'

const start: StartApp = async (auth, options) => {
  const app = express()
  app.use(authRouter(auth, options))
  app.use(express.json())
  app.get('/health', (_req, res) => {
    res.type('text/plain').send('ok')
  })
  app.post('/api/echo', (req, res) => {
    res.json({ echo: req.body })
  })
  app.get('/api/me', requireAuth(auth), (req, res) => {
    res.type('application/json').send(claimsBody(req.auth))
  })
  app.get('/api/admin', requireAuth(auth, { roles: ['admin'] }), (req, res) => {
    res.type('application/json').send(claimsBody(req.auth))
  })
  const server = await new Promise<Server>((resolve) => {
    const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

t.test('Express 5 adapter answers every shared case', (t) => runHttpCases(t, start))

t.test('authRouter matches the full path when mounted under a path', async (t) => {
  const auth = await makeAuth(t)
  const app = express()
  app.use('/auth', authRouter(auth))
  const server = await new Promise<Server>((resolve) => {
    const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/profiles`)
  t.equal(res.status, 401)
  t.equal((await res.json()).code, 'ERR_AUTH_HEADER_MISSING')
})

t.test('options are checked when the factory is called', async (t) => {
  const auth = await makeAuth(t)
  t.throws(() => authRouter(undefined as never), TypeError)
  t.throws(() => authRouter(auth, { trustProxy: 1 } as never), TypeError)
  t.throws(() => requireAuth(auth, { roles: [] }), TypeError)
  t.throws(() => requireAuth(auth, { role: 'admin' } as never), TypeError)
  t.throws(() => requireAuth(auth, null as never), TypeError)
})
