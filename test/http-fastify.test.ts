import Fastify from 'fastify'
import t from 'tap'
import { authPlugin } from '../plugins/adapters/fastify.js'
import { makeAuth } from './helpers/auth.js'
import { claimsBody, runHttpCases, type StartApp } from './helpers/http-cases.js'

const start: StartApp = async (auth, options) => {
  const app = Fastify()
  await app.register(authPlugin(auth, options))
  app.get('/health', async (_request, reply) => reply.type('text/plain').send('ok'))
  app.post('/api/echo', async (request) => ({ echo: request.body }))
  app.get('/api/me', { preHandler: app.requireAuth() }, async (request, reply) =>
    reply.type('application/json').send(claimsBody(request.auth)),
  )
  app.get('/api/admin', { preHandler: app.requireAuth({ roles: ['admin'] }) }, async (request, reply) =>
    reply.type('application/json').send(claimsBody(request.auth)),
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('not listening on a port')
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      app.server.closeAllConnections()
      await app.close()
    },
  }
}

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
