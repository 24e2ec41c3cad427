import { Hono } from 'hono'
import t from 'tap'
import { authHandler, requireAuth } from '../plugins/adapters/hono.js'
import { makeAuth } from './helpers/auth.js'
import { startHono } from './helpers/apps.js'
import { runHttpCases } from './helpers/http-cases.js'

const start = startHono

t.test('Hono adapter (on @hono/node-server) answers every shared case', (t) => runHttpCases(t, start))

t.test('options are checked when the factory is called', async (t) => {
  const auth = await makeAuth(t)
  t.throws(() => authHandler(null as never), TypeError)
  t.throws(() => authHandler(auth, { trustProxy: [] } as never), TypeError)
  t.throws(() => requireAuth(auth, { roles: [] }), TypeError)
  t.throws(() => requireAuth(auth, { roles: ['admin'], extra: 1 } as never), TypeError)
})
