// The four framework apps the HTTP suites run against, each mounting its
// adapter the way an app would, with the same app routes beside AuthCore's
// (see http-cases.ts for what they answer).
import { serve, type ServerType } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { authHandler, requireAuth as honoRequireAuth } from '../../plugins/adapters/hono.js'
import { authRouter, requireAuth as expressRequireAuth } from '../../plugins/adapters/express.js'
import { authPlugin } from '../../plugins/adapters/fastify.js'
import { requireAuth as nodeRequireAuth, toNodeHandler } from '../../plugins/adapters/node.js'
import { claimsBody, type RunningApp, type StartApp } from './http-cases.js'

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type }).end(body)
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = ''
  for await (const chunk of req) text += chunk
  return JSON.parse(text)
}

/** A listening node:http server as a running app: its URL, and a close that also ends kept-alive connections. */
function running(server: Server): RunningApp {
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** The app on node:http. */
export const startNode: StartApp = async (auth, options) => {
  const authHandler = toNodeHandler(auth, options)
  const signedIn = nodeRequireAuth(auth)
  const admin = nodeRequireAuth(auth, { roles: ['admin'] })
  const server = createServer(async (req, res) => {
    if (await authHandler(req, res)) return
    const route = `${req.method} ${req.url}`
    if (route === 'GET /health') return send(res, 200, 'text/plain', 'ok')
    if (route === 'POST /api/echo') return send(res, 200, 'application/json', JSON.stringify({ echo: await readJson(req) }))
    if (route === 'GET /api/me' || route === 'GET /api/admin') {
      const claims = await (route === 'GET /api/me' ? signedIn : admin)(req, res)
      if (claims) send(res, 200, 'application/json', claimsBody(claims))
      return
    }
    send(res, 404, 'text/plain', 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return running(server)
}

/** The app on Express 5. */
export const startExpress: StartApp = async (auth, options) => {
  const app = express()
  app.use(authRouter(auth, options))
  app.use(express.json())
  app.get('/health', (_req, res) => {
    res.type('text/plain').send('ok')
  })
  app.post('/api/echo', (req, res) => {
    res.json({ echo: req.body })
  })
  app.get('/api/me', expressRequireAuth(auth), (req, res) => {
    res.type('application/json').send(claimsBody(req.auth))
  })
  app.get('/api/admin', expressRequireAuth(auth, { roles: ['admin'] }), (req, res) => {
    res.type('application/json').send(claimsBody(req.auth))
  })
  const server = await new Promise<Server>((resolve) => {
    const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  return running(server)
}

/** The app on Fastify 5. */
export const startFastify: StartApp = async (auth, options) => {
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

/** The app on Hono on @hono/node-server. */
export const startHono: StartApp = async (auth, options) => {
  const app = new Hono()
  app.use(authHandler(auth, options))
  app.get('/health', (c) => c.text('ok'))
  app.post('/api/echo', async (c) => c.json({ echo: await c.req.json() }))
  app.get('/api/me', honoRequireAuth(auth), (c) => c.json({ claims: c.get('auth') }))
  app.get('/api/admin', honoRequireAuth(auth, { roles: ['admin'] }), (c) => c.json({ claims: c.get('auth') }))
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

/** Every adapter's app, by name. */
export const APPS: readonly { readonly name: string; readonly start: StartApp }[] = [
  { name: 'node:http', start: startNode },
  { name: 'Express', start: startExpress },
  { name: 'Fastify', start: startFastify },
  { name: 'Hono', start: startHono },
]
