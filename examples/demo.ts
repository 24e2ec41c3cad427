/**
 * `npm run demo`: AuthCore end to end on the embedded SQLite default, with no
 * configuration. It starts the node:http adapter on a free port in a
 * temporary directory, walks through the user-management routes, prints each
 * request and response (passwords and tokens masked), checks every answer,
 * and exits 0 only if each step did what it should. Mail goes to the console
 * mailer; the demo reads the reset link from it, as a user reads their inbox.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuthCore } from '../lib/index.js'
import { toNodeHandler } from '../plugins/adapters/node.js'
import { consoleMailer } from '../plugins/mailer/console.js'

const dir = mkdtempSync(join(tmpdir(), 'authcore-demo-'))
process.chdir(dir)
const secret = randomBytes(32).toString('base64url')
console.log(`AuthCore demo in ${dir}`)
console.log('Generated a random 32-byte secret for this run (set AUTHCORE_SECRET in a real app).\n')

// The console mailer prints each message; this writer also keeps the last
// one, and prints it with its link's token masked.
let lastMail = ''
const mailer = consoleMailer({
  writer: {
    write(text: string) {
      lastMail += text
      process.stdout.write(text.replace(/token=[A-Za-z0-9_-]+/g, 'token=…').replace(/^/gm, '   ✉ '))
    },
  },
})
// appUrl is where the app's own pages live (its reset page reads ?token= and POSTs it).
const auth = new AuthCore({ secret, mailer, appUrl: 'http://localhost:3000' })
await auth.ready()
console.log(`Storage: SQLite file ${join(dir, 'authcore.db')}, created by ready()\n`)

const handler = toNodeHandler(auth)
const server = createServer((req, res) => {
  void handler(req, res, () => res.writeHead(404).end())
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

/** Masks what must never be printed: passwords and tokens. */
function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      /pass/i.test(k) ? '••••••••' : /token/i.test(k) && typeof v === 'string' ? `${v.slice(0, 10)}…(${v.length} chars)` : mask(v),
    ]),
  )
}

let failures = 0
async function step(title: string, method: string, path: string, expected: number, body?: unknown, token?: string) {
  console.log(`── ${title}`)
  console.log(`   ${method} ${path}${token ? '   Authorization: Bearer …' : ''}`)
  if (body !== undefined) console.log(`   ${JSON.stringify(mask(body))}`)
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...(token && { authorization: `Bearer ${token}` }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const json = (await response.json()) as Record<string, unknown>
  const verdict = response.status === expected ? 'as expected' : `EXPECTED ${expected}`
  if (response.status !== expected) failures++
  console.log(`   → ${response.status} (${verdict})  ${JSON.stringify(mask(json))}\n`)
  return json
}

try {
  const pass = 'correct horse battery staple'
  const signedUp = await step('Sign up', 'POST', '/auth/email/signup', 200, { email: 'Alice@Example.com', name: 'Alice', pass })
  const alice = signedUp.user as { id: string }
  const signedIn = await step('Sign in (email matched case-insensitively)', 'POST', '/auth/email/signin', 200, { email: 'alice@example.com', pass })
  const token = signedIn.token as string
  await step('Read my profile', 'GET', `/auth/profile/${alice.id}`, 200, undefined, token)
  await step('Edit my name', 'POST', `/auth/edit_profile/${alice.id}`, 200, { name: 'Alice Liddell' }, token)
  await step('Sign in with a wrong password (same answer as an unknown email)', 'POST', '/auth/email/signin', 401, { email: 'alice@example.com', pass: 'guess' })
  await step('Try to sign up as an admin (refused: roles are never chosen by the client)', 'POST', '/auth/email/signup', 403, { email: 'mallory@example.com', name: 'M', pass, role: 'admin' })
  await step('List all profiles as a plain user (denied)', 'GET', '/auth/profiles', 403, undefined, token)

  console.log('── Create the first admin from server code: auth.createUser({ ..., role: "admin" })\n')
  await auth.createUser({ email: 'admin@example.com', name: 'Admin', pass, role: 'admin' })
  const admin = await step('Admin signs in', 'POST', '/auth/email/signin', 200, { email: 'admin@example.com', pass })
  await step('List profiles as the admin', 'GET', '/auth/profiles?limit=10', 200, undefined, admin.token as string)

  lastMail = ''
  await step('Forgot my password (the same 202 for an address nobody has)', 'POST', '/auth/password/forgot', 202, { email: 'alice@example.com' })
  // Mail leaves a queue after the answer: wait for it as an inbox would.
  for (let i = 0; i < 100 && !lastMail.includes('token='); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  const resetToken = /token=([A-Za-z0-9_-]{43})/.exec(lastMail)?.[1]
  if (!resetToken) failures++
  console.log(`\n── Alice opens the link in the mail; the app's page POSTs its token\n`)
  await step('Reset the password with the token', 'POST', '/auth/password/reset', 200, { token: resetToken, pass: 'a brand new passphrase' })
  await step('The same link again (single use)', 'POST', '/auth/password/reset', 400, { token: resetToken, pass: 'another new passphrase' })
  await step('Her old refresh token (every session ended)', 'POST', '/auth/token/refresh', 401, { refreshToken: signedIn.refreshToken })
  await step('Sign in with the new password', 'POST', '/auth/email/signin', 200, { email: 'alice@example.com', pass: 'a brand new passphrase' })
} finally {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await auth.close()
  process.chdir(tmpdir())
  rmSync(dir, { recursive: true, force: true })
}

if (failures > 0) {
  console.error(`Demo FAILED: ${failures} step(s) did not answer as expected.`)
  process.exit(1)
}
console.log('Demo finished: every step answered as expected.')
