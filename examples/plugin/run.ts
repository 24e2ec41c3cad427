/**
 * `npm run example:plugin`: the invites plugin (./invites.ts) end to end on
 * the embedded SQLite default. An admin makes an invite over HTTP, the
 * invitee redeems it and is signed in, a second redemption and an ordinary
 * sign-up are refused. Exits 0 only if each step did what it should.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuthCore } from '../../lib/index.js'
import { toNodeHandler } from '../../plugins/adapters/node.js'
import { invitesPlugin } from './invites.js'

const dir = mkdtempSync(join(tmpdir(), 'authcore-invites-'))
process.chdir(dir)
const invites = invitesPlugin({ closeSignUp: true })
const auth = new AuthCore({ secret: randomBytes(32).toString('base64url'), plugins: [invites] })
auth.on('invites:redeemed', ({ userId, by }) => console.log(`  event invites:redeemed: ${userId} invited by ${by}`))
await auth.ready()
const PASS = 'correct horse battery staple'
await auth.createUser({ email: 'admin@example.com', name: 'Admin', pass: PASS, role: 'admin' })

const handler = toNodeHandler(auth)
const server = createServer((req, res) => void handler(req, res, () => res.writeHead(404).end()))
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`

let failed = false
async function step(label: string, path: string, body: unknown, expect: number, headers: Record<string, string> = {}) {
  const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  const answer = (await response.json()) as Record<string, unknown>
  const ok = response.status === expect
  failed ||= !ok
  const shown = JSON.stringify(answer).replace(/"(token|refreshToken)":"[^"]+"|"code":"[A-Za-z0-9_-]{43}"/g, (m) => m.replace(/:"[^"]+"/, ":\"…\""))
  console.log(`${ok ? 'ok ' : 'BAD'} ${label}: POST ${path} -> ${response.status} ${shown}`)
  return answer
}

const { token: adminToken } = (await step('the admin signs in', '/email/signin', { email: 'admin@example.com', pass: PASS }, 200)) as { token: string }
await step('an ordinary sign-up is closed', '/email/signup', { email: 'walk-in@example.com', name: 'Walk In', pass: PASS }, 403)
const { code } = (await step('the admin makes an invite for ada@', '/invites', { email: 'ada@example.com' }, 200, { authorization: `Bearer ${adminToken}` })) as { code: string }
await step('ada redeems it and is signed in', '/invites/redeem', { code, email: 'ada@example.com', name: 'Ada', pass: PASS }, 200)
await step('the code is single-use', '/invites/redeem', { code, email: 'ada@example.com', name: 'Ada', pass: PASS }, 400)

server.close()
await auth.close()
rmSync(dir, { recursive: true, force: true })
console.log(failed ? '\nSome step did not do what it should.' : '\nEvery step did what it should.')
process.exit(failed ? 1 : 0)
