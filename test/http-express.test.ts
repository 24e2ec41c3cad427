import express from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { authRouter, requireAuth } from '../plugins/adapters/express.js'
import { makeAuth } from './helpers/auth.js'
import { startExpress } from './helpers/apps.js'
import { runHttpCases } from './helpers/http-cases.js'

const start = startExpress

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
