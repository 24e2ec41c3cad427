import { request, type IncomingMessage, type ServerResponse } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import t from 'tap'
import { requireAuth, toNodeHandler } from '../plugins/adapters/node.js'
import { makeAuth } from './helpers/auth.js'
import { startNode } from './helpers/apps.js'
import { runHttpCases } from './helpers/http-cases.js'

const start = startNode

t.test('node:http adapter answers every shared case', (t) => runHttpCases(t, start))

t.test('toNodeHandler calls next() outside basePath and touches nothing', async (t) => {
  const auth = await makeAuth(t)
  const handler = toNodeHandler(auth)
  let nexted = 0
  const res = new Proxy({} as ServerResponse, {
    get: () => {
      throw new Error('res was touched')
    },
  })
  const req = { url: '/other', method: 'GET', rawHeaders: [], socket: {} } as unknown as IncomingMessage
  t.equal(await handler(req, res, () => nexted++), false)
  t.equal(nexted, 1)
  t.equal(await handler(req, res), false)
})

t.test('options are checked when the factory is called', async (t) => {
  const auth = await makeAuth(t)
  t.throws(() => toNodeHandler({} as never), TypeError)
  t.throws(() => toNodeHandler(auth, { trustProxy: 'yes' } as never), TypeError)
  t.throws(() => toNodeHandler(auth, { trustproxy: true } as never), TypeError)
  t.throws(() => requireAuth(auth, { roles: [] }), TypeError)
  t.throws(() => requireAuth(auth, { roles: 'admin' } as never), TypeError)
  t.throws(() => requireAuth(auth, { roles: [''] }), TypeError)
  t.doesNotThrow(() => toNodeHandler(auth, { trustProxy: true }))
})

t.test('a client leaving mid-body is a bad request, not a server fault to report', async (t) => {
  const auth = await makeAuth(t)
  const reported: unknown[] = []
  auth.on('error', (event) => void reported.push(event))
  const app = await start(auth, {})
  t.teardown(() => app.close())
  const { hostname, port } = new URL(app.url)
  const upload = request({ hostname, port, method: 'POST', path: '/auth/email/signin', headers: { 'content-type': 'application/json' } })
  upload.on('error', () => undefined)
  upload.write('{"email":')
  await delay(50)
  upload.destroy()
  await delay(100)
  t.same(reported, [])
})
