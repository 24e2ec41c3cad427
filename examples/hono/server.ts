// AuthCore on Hono with @hono/node-server. Run: node --import=tsx examples/hono/server.ts
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { AuthCore } from '../../lib/index.js'
import { authHandler, requireAuth } from '../../plugins/adapters/hono.js'
import { secret } from '../secret.js'

const auth = new AuthCore({ secret: secret() }) // users in ./authcore.db (SQLite)
await auth.ready()

const app = new Hono()
app.use(authHandler(auth)) // /auth/...
app.get('/api/me', requireAuth(auth), (c) => {
  const claims = c.get('auth')
  return c.json({ id: claims.sub, email: claims.email, role: claims.role })
})

const port = Number(process.env.PORT ?? 3000)
const server = serve({ fetch: app.fetch, port }, (info) => console.log(`Listening on http://localhost:${info.port}`))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close()
    void auth.close()
  })
}
