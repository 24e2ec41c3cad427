import Fastify from 'fastify'
import t from 'tap'
import { authPlugin } from '../plugins/adapters/fastify.js'
import { makeAuth } from './helpers/auth.js'
import { startFastify } from './helpers/apps.js'
import { runHttpCases } from './helpers/http-cases.js'

const start = startFastify

t.test('Fastify 5 adapter answers every shared case', (t) =>
  runHttpCases(t, start, {
    'an id that is not valid percent-encoding': {
      why: "Fastify's router refuses a URL it cannot decode (FST_ERR_BAD_URL) before any route or hook runs",
      expect: { status: 400, passThrough: true },
    },
  }),
)

t.test('options are checked when the factory is called', async (t) => {
  const auth = await makeAuth(t)
  t.throws(() => authPlugin({ handle() {} } as never), TypeError)
  t.throws(() => authPlugin(auth, { trustProxy: 'loopback' } as never), TypeError)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(authPlugin(auth))
  t.throws(() => app.requireAuth({ roles: [] }), TypeError)
  t.throws(() => app.requireAuth({ roles: [1] } as never), TypeError)
})
