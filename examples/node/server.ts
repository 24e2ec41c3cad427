// AuthCore on plain node:http. Run: node --import=tsx examples/node/server.ts
import { createServer } from 'node:http'
import { AuthCore } from '../../lib/index.js'
import { requireAuth, toNodeHandler } from '../../plugins/adapters/node.js'
import { secret } from '../secret.js'

const auth = new AuthCore({ secret: secret() }) // users in ./authcore.db (SQLite)
await auth.ready()

const authHandler = toNodeHandler(auth)
const signedIn = requireAuth(auth)

const server = createServer(async (req, res) => {
  // The auth routes under /auth; false means "not mine", so the app answers.
  if (await authHandler(req, res)) return
  if (req.method === 'GET' && req.url === '/api/me') {
    const claims = await signedIn(req, res)
    if (!claims) return // already answered 401 or 403
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: claims.sub, email: claims.email, role: claims.role }))
    return
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
})

const port = Number(process.env.PORT ?? 3000)
server.listen(port, () => {
  const base = `http://localhost:${port}`
  console.log(`Listening on ${base}. Try:
  curl -s -X POST ${base}/auth/email/signup -H 'content-type: application/json' -d '{"email":"ada@example.com","name":"Ada","pass":"correct horse battery staple"}'
  curl -s ${base}/api/me -H "authorization: Bearer <token from the answer above>"`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close()
    server.closeAllConnections()
    void auth.close()
  })
}
