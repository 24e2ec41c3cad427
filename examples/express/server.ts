// AuthCore on Express 5. Run: node --import=tsx examples/express/server.ts
import express from 'express'
import { AuthCore } from '../../lib/index.js'
import { authRouter, requireAuth } from '../../plugins/adapters/express.js'
import { secret } from '../secret.js'

const auth = new AuthCore({ secret: secret() }) // users in ./authcore.db (SQLite)
await auth.ready()

const app = express()
app.use(authRouter(auth)) // /auth/...; before express.json(), which would consume the body
app.use(express.json())
app.get('/api/me', requireAuth(auth), (req, res) => {
  res.json({ id: req.auth!.sub, email: req.auth!.email, role: req.auth!.role })
})

const port = Number(process.env.PORT ?? 3000)
const server = app.listen(port, () => console.log(`Listening on http://localhost:${port}`))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close()
    server.closeAllConnections()
    void auth.close()
  })
}
