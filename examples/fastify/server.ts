// AuthCore on Fastify 5. Run: node --import=tsx examples/fastify/server.ts
import Fastify from 'fastify'
import { AuthCore } from '../../lib/index.js'
import { authPlugin } from '../../plugins/adapters/fastify.js'
import { secret } from '../secret.js'

const auth = new AuthCore({ secret: secret() }) // users in ./authcore.db (SQLite)
await auth.ready()

const app = Fastify({ logger: true })
await app.register(authPlugin(auth)) // /auth/..., and app.requireAuth()
app.get('/api/me', { preHandler: app.requireAuth() }, async (request) => ({
  id: request.auth!.sub,
  email: request.auth!.email,
  role: request.auth!.role,
}))
app.addHook('onClose', () => auth.close())

const port = Number(process.env.PORT ?? 3000)
await app.listen({ port, host: '0.0.0.0' })

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
