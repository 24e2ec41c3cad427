/**
 * `npm run example:oauth`: "Sign in with …" end to end, with no internet.
 * A real OpenID provider (oidc-provider, the one AuthCore's tests use) runs
 * in this process on 127.0.0.1; the app is AuthCore on node:http with the
 * `oidc()` method. The script plays the browser: it follows the redirect to
 * the provider, signs in on the provider's own login page, brings the
 * callback back with the attempt cookie, and trades the one-time code for
 * tokens. Each step is printed (codes and tokens masked); it exits 0 only if
 * every step did what it should.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AuthCore } from '../../lib/index.js'
import { toNodeHandler } from '../../plugins/adapters/node.js'
import { basic } from '../../plugins/methods/basic.js'
import { oidc } from '../../plugins/methods/oidc/index.js'
import { sqliteStorage } from '../../plugins/storage/sqlite/index.js'
import { startProvider } from '../../test/helpers/oidc-provider.js'

const mask = (value: string) => `${value.slice(0, 8)}…(${value.length} chars)`
let failures = 0
const check = (ok: boolean, what: string) => {
  console.log(`   ${ok ? 'ok' : 'FAILED'}: ${what}`)
  if (!ok) failures++
}

// The app listens first, so its public origin (appUrl) is known.
let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => void res.writeHead(503).end()
const server = createServer((req, res) => handle(req, res))
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const afterLogin = `${appUrl}/after-login`

const provider = await startProvider({ redirectUris: [`${appUrl}/auth/oauth/local/callback`] })
provider.addAccount({ sub: 'ada-1815', email: 'ada@example.com', emailVerified: true, name: 'Ada Lovelace' })
console.log(`OpenID provider at ${provider.issuer} (client '${provider.clientId}'); app at ${appUrl}\n`)

const auth = new AuthCore({
  secret: randomBytes(32).toString('base64url'),
  storage: sqliteStorage({ filename: ':memory:' }),
  appUrl,
  redirectUrls: [afterLogin],
  methods: [basic(), oidc({ name: 'local', issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret })],
})
await auth.ready()
const node = toNodeHandler(auth)
handle = (req, res) => void node(req, res, () => res.writeHead(404).end())

try {
  console.log(`── The app's "Sign in with Local" button: GET /auth/oauth/local/authorize?redirect_to=${afterLogin}`)
  const start = await fetch(`${appUrl}/auth/oauth/local/authorize?redirect_to=${encodeURIComponent(afterLogin)}`, { redirect: 'manual' })
  const toProvider = start.headers.get('location') ?? ''
  const cookie = (start.headers.getSetCookie()[0] ?? '').split(';')[0]!
  check(start.status === 302 && toProvider.startsWith(provider.issuer), `302 to the provider (${new URL(toProvider).pathname}, with state, nonce and a PKCE challenge)`)
  check(cookie.startsWith('authcore_oauth_local='), 'the attempt cookie binds the sign-in to this browser (HttpOnly, SameSite=Lax)')

  console.log('\n── At the provider: its login page, then its consent page (as Ada)')
  const callback = await provider.login(toProvider, 'ada-1815')
  check(callback.pathname === '/auth/oauth/local/callback', `the provider sends the browser back to ${callback.pathname} with a code`)

  console.log('\n── Back at the app: GET the callback (with the attempt cookie)')
  const back = await fetch(`${appUrl}${callback.pathname}${callback.search}`, { redirect: 'manual', headers: { cookie } })
  const landed = new URL(back.headers.get('location') ?? '', appUrl)
  const code = landed.searchParams.get('code') ?? ''
  // The code works only with the cookie the callback just gave this browser.
  const codeCookie = back.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('authcore_oauth_code=')) ?? ''
  check(back.status === 302 && `${landed.origin}${landed.pathname}` === afterLogin, `302 to ${afterLogin}?code=${mask(code)}`)
  check(codeCookie !== '', 'and a cookie that binds the code to this browser (path /auth/oauth/token only)')

  console.log("\n── The app's page trades the one-time code: POST /auth/oauth/token")
  const post = (cookieHeader: string) =>
    fetch(`${appUrl}/auth/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookieHeader && { cookie: cookieHeader }) }, body: JSON.stringify({ code }) })
  const elsewhere = await post('')
  check(elsewhere.status === 400, 'the code alone, from another browser, signs nobody in')
  const exchanged = await post(codeCookie)
  const body = (await exchanged.json()) as { user?: { id: string; email: string; name: string; emailVerified: boolean }; token?: string; refreshToken?: string }
  check(exchanged.status === 200 && body.user?.email === 'ada@example.com', `signed in: ${JSON.stringify(body.user)}`)
  check(typeof body.token === 'string' && typeof body.refreshToken === 'string', `token ${mask(body.token ?? '')}, refreshToken ${mask(body.refreshToken ?? '')}`)
  const again = await post(codeCookie)
  check(again.status === 400, 'the code works once')
} finally {
  await auth.close()
  await provider.close()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

if (failures > 0) {
  console.error(`\nExample FAILED: ${failures} step(s) did not do what they should.`)
  process.exit(1)
}
console.log('\nExample finished: signed in with OpenID Connect, end to end.')
