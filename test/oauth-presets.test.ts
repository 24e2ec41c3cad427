// The github() and microsoft() presets of authcore/methods/oidc, end to end through
// the real flow (AuthCore, the oauth plugin, the node adapter over HTTP) against local
// stand-ins on 127.0.0.1 that speak the providers' shapes: a node:http GitHub
// (./helpers/github-stand-in.ts) and a Microsoft identity platform made of the test
// OpenID Provider behind a front that answers Microsoft's discovery and keys
// (./helpers/entra-provider.ts). No internet.
import t, { type Test } from 'tap'
import { AuthCore, type AuthCoreOptions, type StoragePlugin } from '../lib/index.js'
import { basic } from '../plugins/methods/basic.js'
import { github, microsoft, type GitHubOptions, type MicrosoftOptions } from '../plugins/methods/oidc/index.js'
import { identitySubject, IDENTITY_KIND } from '../plugins/oauth/accounts.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { startNode } from './helpers/apps.js'
import { get, oauthBrowser, type OAuthBrowser } from './helpers/oauth-browser.js'
import { CONSUMERS_TENANT, startEntra, type EntraOptions, type EntraStandIn, type EntraUser } from './helpers/entra-provider.js'
import { startGitHub, type GitHubStandIn } from './helpers/github-stand-in.js'
import { fastHasher } from './helpers/hashers.js'
import { newSecret } from './helpers/keys.js'

const APP_URL = 'https://app.example.com'
const AFTER = `${APP_URL}/after-login`
const callbackOf = (name: string) => `${APP_URL}/auth/oauth/${name}/callback`

const TENANT_A = '0f1c2d3e-4a5b-4c6d-8e7f-a0b1c2d3e4f5'
const TENANT_B = '7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9'
const TENANT_C = 'c0ffee00-1234-4abc-9def-0123456789ab'
const OID_1 = '00000000-0000-4000-8000-000000000001'
const OID_2 = '00000000-0000-4000-8000-000000000002'

interface App {
  auth: AuthCore
  storage: StoragePlugin
  url: string
  events: { event: string; payload: unknown }[]
  /** What AuthCore reported as `error` events (the reasons behind ERR_OAUTH_VERIFICATION_FAILED). */
  errors: unknown[]
  /** The browser: its cookies carry an attempt to the callback and a code to the exchange. */
  browser: OAuthBrowser
}

async function startApp(t: Test, methods: AuthCoreOptions['methods'], extra: Partial<AuthCoreOptions> = {}): Promise<App> {
  const storage = sqliteStorage({ filename: ':memory:' })
  const auth = new AuthCore({
    secret: newSecret(),
    storage,
    appUrl: APP_URL,
    redirectUrls: [AFTER],
    methods,
    passwordPolicy: { hasher: fastHasher },
    ...extra,
  })
  t.teardown(() => auth.close())
  await auth.ready()
  const events: App['events'] = []
  for (const event of ['user:created', 'user:signed-in', 'oauth:failed', 'oauth:linked'] as const) {
    auth.on(event, (payload: unknown) => void events.push({ event, payload }))
  }
  const errors: unknown[] = []
  auth.on('error', ({ error }) => void errors.push(error))
  const app = await startNode(auth, {})
  t.teardown(() => app.close())
  return { auth, storage, url: app.url, events, errors, browser: oauthBrowser(app.url) }
}

/** Starts a sign-in at `name`: the provider URL and the browser's attempt cookie. */
const authorize = (app: App, name: string) => app.browser.authorize(name, AFTER)

/** Sends the provider's redirect back (a URL under appUrl) to the app under test, as the app's browser. */
const callback = (app: App, back: URL, cookie?: string) => app.browser.callback(back, cookie)

/** POST /auth/oauth/token from the app's browser (with the code cookie the callback set). */
const exchange = (app: App, code: string) => app.browser.exchange(code)

/** The user signed in by a landing URL's code, or the landing's error code. */
async function outcome(app: App, landed: URL): Promise<{ error: string } | { userId: string; user: Record<string, any> }> {
  const error = landed.searchParams.get('error')
  if (error !== null) return { error }
  const signedIn = await exchange(app, landed.searchParams.get('code')!)
  if (signedIn.status !== 200) return { error: signedIn.body.code }
  return { userId: signedIn.body.user.id, user: signedIn.body.user }
}

/** The user id a provider identity is linked to, from the credentials store. */
async function linkedUser(app: App, issuer: string, subject: string) {
  const credential = await app.storage.credentials!.findCredentialBySubject(IDENTITY_KIND, identitySubject({ issuer, subject }))
  return credential ? { userId: credential.userId, data: credential.data as Record<string, unknown> } : undefined
}

/** Every string an error holds (message, stack, causes, own fields), to look for leaked secrets. */
function errorText(error: unknown, depth = 0): string {
  if (depth > 5 || error === null || error === undefined) return ''
  if (typeof error !== 'object') return String(error)
  const e = error as Record<string, unknown>
  const parts = [String(e.message ?? ''), String(e.stack ?? ''), errorText(e.cause, depth + 1)]
  try {
    parts.push(JSON.stringify(error))
  } catch {
    // A cycle: the parts above are enough.
  }
  return parts.join('\n')
}

// ---------------------------------------------------------------------------
// GitHub

interface GitHubFlow extends App {
  github: GitHubStandIn
}

async function setupGitHub(t: Test, options: Partial<GitHubOptions> = {}, extra: Partial<AuthCoreOptions> = {}): Promise<GitHubFlow> {
  const stand = await startGitHub({ callbackUrl: callbackOf(options.name ?? 'github') })
  t.teardown(() => stand.close())
  const method = github({ clientId: stand.clientId, clientSecret: stand.clientSecret, baseUrl: stand.baseUrl, apiUrl: stand.apiUrl, ...options })
  return { ...(await startApp(t, [basic(), method], extra)), github: stand }
}

/** The whole GitHub flow as user `id`: where the browser lands after the callback. */
async function gitHubSignIn(flow: GitHubFlow, id: number, name = 'github') {
  const started = await authorize(flow, name)
  const back = await flow.github.login(started.location, id)
  return new URL((await callback(flow, back, started.cookie)).location)
}

t.test('github: the full flow makes a user keyed by the numeric id', async (t) => {
  const flow = await setupGitHub(t)
  flow.github.setUser({
    id: 583231, login: 'octocat', name: 'The Octocat',
    emails: [{ email: 'octo-old@example.com', primary: false, verified: true }, { email: 'Octo@Example.com', primary: true, verified: true }],
  })
  const started = await authorize(flow, 'github')
  t.equal(started.status, 302)
  const toGitHub = new URL(started.location)
  t.equal(`${toGitHub.origin}${toGitHub.pathname}`, `${flow.github.baseUrl}/login/oauth/authorize`, 'sent to GitHub')
  t.same(Object.fromEntries(toGitHub.searchParams), {
    client_id: flow.github.clientId,
    redirect_uri: callbackOf('github'),
    scope: 'read:user user:email',
    state: toGitHub.searchParams.get('state'),
    code_challenge: toGitHub.searchParams.get('code_challenge'),
    code_challenge_method: 'S256',
  }, 'client, callback, scopes, state and the PKCE challenge; nothing else')
  t.match(toGitHub.searchParams.get('state'), /^[A-Za-z0-9_-]{20,}$/)
  t.match(toGitHub.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/)

  const back = await flow.github.login(started.location, 583231)
  const landed = await callback(flow, back, started.cookie)
  t.equal(landed.status, 302)
  const code = new URL(landed.location).searchParams.get('code')!
  t.ok(code, 'back to the app with a one-time code')
  const signedIn = await exchange(flow, code)
  t.equal(signedIn.status, 200)
  t.match(signedIn.body, { user: { email: 'Octo@Example.com', name: 'The Octocat', emailVerified: true }, token: String, refreshToken: String })

  const token = flow.github.tokenRequests[0]!
  t.same([...token.keys()].sort(), ['client_id', 'client_secret', 'code', 'code_verifier', 'redirect_uri'], 'the token request')
  t.equal(token.get('redirect_uri'), callbackOf('github'))
  const linked = await linkedUser(flow, flow.github.baseUrl, '583231')
  t.equal(linked?.userId, signedIn.body.user.id, 'the identity is (GitHub host, numeric id)')
  t.match(linked?.data, { provider: 'github', issuer: flow.github.baseUrl, subject: '583231' })
  t.notOk(JSON.stringify(linked?.data).includes('gho_'), 'no GitHub token is kept')
  t.match(flow.events.find((e) => e.event === 'user:signed-in')?.payload, { method: 'oauth:github' })
  t.same(flow.errors, [], 'nothing went wrong')
})

t.test('github: a renamed login and a new email are the same user; a freed login taken by another is not', async (t) => {
  const flow = await setupGitHub(t)
  flow.github.setUser({ id: 1001, login: 'ada', name: null, emails: [{ email: 'ada@example.com', primary: true, verified: true }] })
  const first = await outcome(flow, await gitHubSignIn(flow, 1001))
  t.match(first, { userId: String, user: { name: 'ada', email: 'ada@example.com' } }, 'the login names the user when there is no name')

  flow.github.setUser({ id: 1001, login: 'ada-lovelace', name: 'Ada', emails: [{ email: 'countess@example.com', primary: true, verified: true }] })
  const renamed = await outcome(flow, await gitHubSignIn(flow, 1001))
  t.equal((renamed as { userId: string }).userId, (first as { userId: string }).userId, 'the same id signs in as the same user')

  flow.github.setUser({ id: 2002, login: 'ada', emails: [{ email: 'someone-else@example.com', primary: true, verified: true }] })
  const squatter = await outcome(flow, await gitHubSignIn(flow, 2002))
  t.ok('userId' in squatter && squatter.userId !== (first as { userId: string }).userId, "another id with the old login is another user")
})

t.test('github: a new account needs a verified primary email', async (t) => {
  const flow = await setupGitHub(t)
  flow.github.setUser({ id: 3, login: 'unverified', emails: [{ email: 'u@example.com', primary: true, verified: false }, { email: 'v@example.com', primary: false, verified: true }] })
  flow.github.setUser({ id: 4, login: 'no-primary', emails: [{ email: 'w@example.com', primary: false, verified: true }] })
  flow.github.setUser({ id: 5, login: 'no-emails', emails: [] })
  t.same(await outcome(flow, await gitHubSignIn(flow, 3)), { error: 'ERR_OAUTH_EMAIL_UNVERIFIED' }, 'an unverified primary (a verified secondary does not count)')
  t.same(await outcome(flow, await gitHubSignIn(flow, 4)), { error: 'ERR_OAUTH_EMAIL_REQUIRED' }, 'no primary address')
  t.same(await outcome(flow, await gitHubSignIn(flow, 5)), { error: 'ERR_OAUTH_EMAIL_REQUIRED' }, 'no address at all')
  t.equal(flow.events.filter((e) => e.event === 'user:created').length, 0, 'no account was made')

  flow.github.setUser({ id: 6, login: 'later', emails: [{ email: 'later@example.com', primary: true, verified: true }] })
  const made = await outcome(flow, await gitHubSignIn(flow, 6))
  flow.github.setUser({ id: 6, login: 'later', emails: [{ email: 'new@example.com', primary: true, verified: false }] })
  const again = await outcome(flow, await gitHubSignIn(flow, 6))
  t.equal((again as { userId: string }).userId, (made as { userId: string }).userId, 'a linked identity signs in whatever its email is now')
})

t.test('github: a wrong state, a code injected from another attempt (PKCE), a denial', async (t) => {
  const flow = await setupGitHub(t)
  flow.github.setUser({ id: 7, login: 'victim', emails: [{ email: 'victim@example.com', primary: true, verified: true }] })
  flow.github.setUser({ id: 8, login: 'attacker', emails: [{ email: 'attacker@example.com', primary: true, verified: true }] })

  const started = await authorize(flow, 'github')
  const back = await flow.github.login(started.location, 7)
  const wrongState = new URL(back)
  wrongState.searchParams.set('state', 'x'.repeat(43))
  t.match(JSON.parse((await callback(flow, wrongState, started.cookie)).text), { code: 'ERR_OAUTH_STATE_INVALID' }, 'the flow refuses a state it did not make')

  // The method checks state too: a callback for another attempt is refused before any request to GitHub.
  const method = github({ clientId: flow.github.clientId, clientSecret: flow.github.clientSecret, baseUrl: flow.github.baseUrl, apiUrl: flow.github.apiUrl })
  const requests = flow.github.tokenRequests.length
  const attempt = { state: 'y'.repeat(43), nonce: 'n', codeVerifier: 'v'.repeat(43), redirectUri: callbackOf('github') }
  await t.rejects(method.callback(back, attempt), /state/, "github().callback refuses another attempt's state")
  const withError = new URL(back)
  withError.searchParams.set('error', 'access_denied')
  await t.rejects(method.callback(withError, { ...attempt, state: back.searchParams.get('state')! }), /error \(access_denied\)/, 'and an error answer')
  t.equal(flow.github.tokenRequests.length, requests, 'without asking GitHub')

  // Code injection: the attacker's own code, from their own attempt, pasted into the victim's callback (victim's state and cookie).
  const attackers = await authorize(flow, 'github')
  const attackerCode = new URL(await flow.github.login(attackers.location, 8)).searchParams.get('code')!
  const victims = await authorize(flow, 'github')
  const victimBack = new URL(await flow.github.login(victims.location, 7))
  victimBack.searchParams.set('code', attackerCode)
  const injected = new URL((await callback(flow, victimBack, victims.cookie)).location)
  t.equal(injected.searchParams.get('error'), 'ERR_OAUTH_VERIFICATION_FAILED', "the victim's verifier does not match the attacker's challenge")
  t.match(errorText(flow.errors.at(-1)), /bad_verification_code/, 'GitHub refused the exchange (reported as an error event)')

  const denied = await authorize(flow, 'github')
  const deniedBack = await flow.github.login(denied.location, 7, { deny: true })
  t.equal(new URL((await callback(flow, deniedBack, denied.cookie)).location).searchParams.get('error'), 'ERR_OAUTH_PROVIDER_ERROR', 'the user said no at GitHub')
  t.equal(flow.events.filter((e) => e.event === 'user:created').length, 0, 'no account was made')
})

t.test('github: a failing or odd answer from GitHub is refused, and no token reaches a log', async (t) => {
  const flow = await setupGitHub(t, { timeout: 1 })
  flow.github.setUser({ id: 9, login: 'grace', emails: [{ email: 'grace@example.com', primary: true, verified: true }] })
  const faults = [
    ['the token endpoint fails', { path: '/login/oauth/access_token', status: 500, body: '{"error":"server_error"}' }, /token request answered 500/],
    ['the token endpoint answers no token', { path: '/login/oauth/access_token', body: '{"token_type":"bearer"}' }, /no bearer access token/],
    ['the token endpoint answers a form', { path: '/login/oauth/access_token', body: 'access_token=gho_x&token_type=bearer', contentType: 'application/x-www-form-urlencoded' }, /content type other than JSON/],
    ['GET /user fails', { path: '/user', status: 502, body: '{"message":"Server Error"}' }, /GET \/user answered 502/],
    ['GET /user answers malformed JSON', { path: '/user', body: '{"id": 9, "login": ' }, /malformed JSON/],
    ['GET /user answers a string id', { path: '/user', body: '{"id": "9", "login": "grace"}' }, /no numeric id/],
    ['GET /user answers too much', { path: '/user', body: JSON.stringify({ id: 9, login: 'grace', bio: 'x'.repeat(200_000) }) }, /larger than 65536 bytes/],
    ['GET /user/emails answers no list', { path: '/user/emails', body: '{"email":"grace@example.com"}' }, /no list of addresses/],
    ['GET /user/emails answers HTML', { path: '/user/emails', body: '<html></html>', contentType: 'text/html' }, /content type other than JSON/],
    ['GET /user/emails is too slow', { path: '/user/emails', delay: 1500 }, /no answer within 1s/],
  ] as const
  for (const [what, fault, reason] of faults) {
    flow.github.fault(fault)
    const before = flow.errors.length
    t.same(await outcome(flow, await gitHubSignIn(flow, 9)), { error: 'ERR_OAUTH_VERIFICATION_FAILED' }, what)
    t.match(errorText(flow.errors[before]), reason, `${what}: the reason is reported`)
  }
  t.equal(flow.events.filter((e) => e.event === 'user:created').length, 0, 'no account was made')
  t.match(await outcome(flow, await gitHubSignIn(flow, 9)), { userId: String }, 'then GitHub behaves, and the user gets in')

  t.ok(flow.github.issuedTokens.length >= 6, 'tokens were issued')
  const logged = flow.errors.map((e) => errorText(e)).join('\n')
  for (const secret of [...flow.github.issuedTokens, flow.github.clientSecret]) {
    t.notOk(logged.includes(secret), 'no access token or client secret is in a reported error')
  }
})

t.test('github: options', async (t) => {
  const ok = { clientId: 'Iv1.abc', clientSecret: 'secret' }
  const method = github(ok)
  t.match(method, { name: 'github', kind: 'redirect' })
  t.equal(github({ ...ok, name: 'github-enterprise' }).name, 'github-enterprise')
  const url = await method.authorizationUrl({ state: 's', nonce: 'n', codeVerifier: 'v'.repeat(43), redirectUri: callbackOf('github') })
  t.equal(`${url.origin}${url.pathname}`, 'https://github.com/login/oauth/authorize', 'github.com by default')
  t.equal(`${(await github({ ...ok, baseUrl: 'https://ghe.example.com/' }).authorizationUrl({ state: 's', nonce: 'n', codeVerifier: 'v', redirectUri: 'x' })).origin}`, 'https://ghe.example.com')
  const refused: [string, unknown][] = [
    ['baseUrl over plain http', { ...ok, baseUrl: 'http://github.example.com' }],
    ['apiUrl over plain http', { ...ok, apiUrl: 'http://api.example.com' }],
    ['apiUrl with a query', { ...ok, apiUrl: 'https://api.example.com/?x=1' }],
    ['baseUrl with credentials', { ...ok, baseUrl: 'https://u:p@github.example.com' }],
    ['no clientSecret', { clientId: 'Iv1.abc' }],
    ['no clientId', { clientSecret: 'x' }],
    ['an upper-case name', { ...ok, name: 'GitHub' }],
    ['a zero timeout', { ...ok, timeout: 0 }],
  ]
  for (const [what, options] of refused) t.throws(() => github(options as GitHubOptions), { name: 'TypeError' }, what)
  t.doesNotThrow(() => github({ ...ok, baseUrl: 'http://127.0.0.1:8080', apiUrl: 'http://localhost:8080/api/v3' }), 'plain http on loopback')
})

// ---------------------------------------------------------------------------
// Microsoft

interface MicrosoftFlow extends App {
  entra: EntraStandIn
}

async function setupMicrosoft(t: Test, options: Partial<MicrosoftOptions> & { tenant: string }, entraOptions: Partial<EntraOptions> = {}): Promise<MicrosoftFlow> {
  const entra = await startEntra({ redirectUris: [callbackOf('microsoft')], ...entraOptions })
  t.teardown(() => entra.close())
  const method = microsoft({ clientId: entra.clientId, clientSecret: entra.clientSecret, authority: entra.authority, ...options })
  return { ...(await startApp(t, [basic(), method])), entra }
}

/** The whole Microsoft flow as `user`: where the browser lands after the callback. */
async function microsoftSignIn(flow: MicrosoftFlow, user: EntraUser, change?: Parameters<EntraStandIn['login']>[2]) {
  const started = await authorize(flow, 'microsoft')
  if (started.status !== 302) throw new Error(`authorize answered ${started.status}: ${started.text}`)
  const back = await flow.entra.login(started.location, user, change)
  return new URL((await callback(flow, back, started.cookie)).location)
}

const alice: EntraUser = { tid: TENANT_A, oid: OID_1, email: 'alice@contoso.example', edov: true, name: 'Alice' }

t.test('microsoft: multi-tenant sign-in, keyed by tid and oid under the tenant\'s issuer', async (t) => {
  const flow = await setupMicrosoft(t, { tenant: 'organizations', allowedTenants: [TENANT_A, TENANT_B.toUpperCase()] })
  const started = await authorize(flow, 'microsoft')
  t.equal(started.status, 302)
  const toMicrosoft = new URL(started.location)
  t.match(Object.fromEntries(toMicrosoft.searchParams), {
    client_id: flow.entra.clientId, response_type: 'code', response_mode: 'query', redirect_uri: callbackOf('microsoft'),
    scope: 'openid profile email', state: /./, nonce: /./, code_challenge: /^[A-Za-z0-9_-]{43}$/, code_challenge_method: 'S256',
  })
  const back = await flow.entra.login(started.location, alice)
  const signedIn = await outcome(flow, new URL((await callback(flow, back, started.cookie)).location))
  t.match(signedIn, { userId: String, user: { email: 'alice@contoso.example', name: 'Alice', emailVerified: true } }, 'tenant A signs in')
  const linked = await linkedUser(flow, `${flow.entra.authority}/${TENANT_A}/v2.0`, `${TENANT_A}:${OID_1}`)
  t.equal(linked?.userId, (signedIn as { userId: string }).userId, 'the identity: issuer <authority>/<tid>/v2.0, subject <tid>:<oid>')

  const bob = { tid: TENANT_B, oid: OID_2, email: 'bob@fabrikam.example', edov: true }
  t.match(await outcome(flow, await microsoftSignIn(flow, bob)), { userId: String }, 'tenant B (allowed, written in upper case) too')
  t.same(flow.errors, [], 'nothing went wrong')
})

t.test('microsoft: an ID token whose iss is not the issuer of its tid is refused', async (t) => {
  const flow = await setupMicrosoft(t, { tenant: 'common' })
  const authority = flow.entra.authority
  const cases = [
    ['iss names tenant B, tid says A', alice, { idTokenIssuer: `${authority}/${TENANT_B}/v2.0` }, /iss is not the issuer of its tid/],
    ['iss names tenant A, tid says B', { ...alice, tid: TENANT_B }, { idTokenIssuer: `${authority}/${TENANT_A}/v2.0` }, /iss is not the issuer of its tid/],
    ['iss is the template itself', alice, { idTokenIssuer: `${authority}/{tenantid}/v2.0` }, /iss is not the issuer of its tid/],
    ['iss on another host', alice, { idTokenIssuer: `https://login.microsoftonline.com/${TENANT_A}/v2.0` }, /iss is not the issuer of its tid/],
    ['tid is not a GUID', { ...alice, tid: 'not-a-guid' }, { idTokenIssuer: `${authority}/not-a-guid/v2.0` }, /tid is not a tenant ID/],
    ['no tid', alice, { claims: { tid: undefined } }, /"tid"/],
    ['no oid', alice, { claims: { oid: undefined } }, /"oid"/],
  ] as const
  for (const [what, user, change, reason] of cases) {
    const before = flow.errors.length
    t.same(await outcome(flow, await microsoftSignIn(flow, user, change)), { error: 'ERR_OAUTH_VERIFICATION_FAILED' }, what)
    t.match(errorText(flow.errors[before]), reason, `${what}: for that reason`)
  }
  t.equal(flow.events.filter((e) => e.event === 'user:created').length, 0, 'no account was made')
  t.match(await outcome(flow, await microsoftSignIn(flow, alice)), { userId: String }, "common: any tenant's user, with a consistent token, gets in")
})

t.test('microsoft: the other ID-token checks hold too', async (t) => {
  const flow = await setupMicrosoft(t, { tenant: 'organizations' })
  const cases = [
    ['another audience', { idTokenAudience: 'someone-else' }, /"aud"/],
    ['expired', { idTokenExpiresIn: -120 }, /"exp"/],
    ['another nonce', { nonce: 'not-the-one' }, /nonce/],
    ['alg none', { alg: 'none' }, /"alg"/],
    ['HS256 with the client secret', { alg: 'HS256' }, /"alg"/],
    ['another azp', { claims: { azp: 'another-client' } }, /azp/],
  ] as const
  for (const [what, change, reason] of cases) {
    const before = flow.errors.length
    t.same(await outcome(flow, await microsoftSignIn(flow, alice, change)), { error: 'ERR_OAUTH_VERIFICATION_FAILED' }, what)
    t.match(errorText(flow.errors[before]), reason, `${what}: for that reason`)
  }
  t.equal(flow.events.filter((e) => e.event === 'user:created').length, 0, 'no account was made')
})

t.test('microsoft: a tenant not in allowedTenants is refused', async (t) => {
  const flow = await setupMicrosoft(t, { tenant: 'organizations', allowedTenants: [TENANT_A] })
  const carol = { tid: TENANT_C, oid: OID_2, email: 'carol@evil.example', edov: true }
  t.same(await outcome(flow, await microsoftSignIn(flow, carol)), { error: 'ERR_OAUTH_VERIFICATION_FAILED' }, 'tenant C')
  t.match(errorText(flow.errors.at(-1)), /not one of allowedTenants/)
  t.equal(flow.events.filter((e) => e.event === 'user:created').length, 0, 'no account was made')
  t.match(await outcome(flow, await microsoftSignIn(flow, alice)), { userId: String }, 'tenant A is')
})

t.test('microsoft: the same tid and oid are the same user whatever the email; the email is never the key', async (t) => {
  const flow = await setupMicrosoft(t, { tenant: 'organizations' })
  const first = await outcome(flow, await microsoftSignIn(flow, alice))
  t.match(first, { userId: String })
  const renamed = { ...alice, email: 'alice.smith@contoso.example', preferredUsername: 'alice.smith@contoso.example', name: 'Alice Smith' }
  const again = await outcome(flow, await microsoftSignIn(flow, renamed))
  t.equal((again as { userId: string }).userId, (first as { userId: string }).userId, 'a changed email and username: the same user')

  // Another object (say, a new user given the old address) with Alice's first email: not Alice.
  const impostor = { tid: TENANT_A, oid: OID_2, email: 'alice@contoso.example', edov: true }
  t.same(await outcome(flow, await microsoftSignIn(flow, impostor)), { error: 'ERR_OAUTH_ACCOUNT_EXISTS' }, 'the same email from another oid does not sign in as Alice')
  const otherTenant = { ...alice, tid: TENANT_B, email: 'alice@fabrikam.example' }
  const elsewhere = await outcome(flow, await microsoftSignIn(flow, otherTenant))
  t.ok('userId' in elsewhere && elsewhere.userId !== (first as { userId: string }).userId, 'the same oid in another tenant is another identity')
})

t.test('microsoft: the email counts as verified only with xms_edov', async (t) => {
  const flow = await setupMicrosoft(t, { tenant: 'common' })
  t.same(await outcome(flow, await microsoftSignIn(flow, { ...alice, edov: undefined })), { error: 'ERR_OAUTH_EMAIL_UNVERIFIED' }, 'no xms_edov')
  t.same(await outcome(flow, await microsoftSignIn(flow, { ...alice, edov: false })), { error: 'ERR_OAUTH_EMAIL_UNVERIFIED' }, 'xms_edov false')
  t.same(await outcome(flow, await microsoftSignIn(flow, { ...alice, edov: true }, { claims: { email_verified: true, xms_edov: 'true' } })), { error: 'ERR_OAUTH_EMAIL_UNVERIFIED' }, 'email_verified and a string xms_edov do not count')
  t.same(await outcome(flow, await microsoftSignIn(flow, { ...alice, email: undefined })), { error: 'ERR_OAUTH_EMAIL_REQUIRED' }, 'no email claim (preferred_username is never used)')
})

t.test('microsoft: one tenant, by ID or by domain; personal accounts', async (t) => {
  const byId = await setupMicrosoft(t, { tenant: TENANT_A })
  t.match(await outcome(byId, await microsoftSignIn(byId, alice)), { userId: String }, "the tenant's user")
  const bob = { tid: TENANT_B, oid: OID_2, email: 'bob@fabrikam.example', edov: true }
  t.same(await outcome(byId, await microsoftSignIn(byId, bob)), { error: 'ERR_OAUTH_VERIFICATION_FAILED' }, "another tenant's (consistent) token")

  const byDomain = await setupMicrosoft(t, { tenant: 'Contoso.Example' }, { domains: { 'contoso.example': TENANT_A } })
  t.match(await outcome(byDomain, await microsoftSignIn(byDomain, alice)), { userId: String }, 'a domain names its tenant')
  t.same(await outcome(byDomain, await microsoftSignIn(byDomain, bob)), { error: 'ERR_OAUTH_VERIFICATION_FAILED' }, 'and only it')

  const consumers = await setupMicrosoft(t, { tenant: 'consumers' })
  const personal = { tid: CONSUMERS_TENANT, oid: OID_1, email: 'someone@outlook.example', edov: true }
  t.match(await outcome(consumers, await microsoftSignIn(consumers, personal)), { userId: String }, 'a personal account')
  t.same(await outcome(consumers, await microsoftSignIn(consumers, alice)), { error: 'ERR_OAUTH_VERIFICATION_FAILED' }, 'consumers: a work account is refused')
})

t.test('microsoft: discovery and keys that do not fit are refused', async (t) => {
  const wrongIssuer = await setupMicrosoft(t, { tenant: TENANT_A }, { discoveryIssuer: (_tenant, authority) => `${authority}/${TENANT_B}/v2.0` })
  const started = await authorize(wrongIssuer, 'microsoft')
  t.equal(started.status, 500, "a tenant's discovery naming another tenant: no sign-in starts")
  t.match(errorText(wrongIssuer.errors[0]), /unexpected issuer/)

  const template = await setupMicrosoft(t, { tenant: TENANT_A }, { discoveryIssuer: (_tenant, authority) => `${authority}/{tenantid}/v2.0` })
  t.equal((await authorize(template, 'microsoft')).status, 500, 'one tenant answering the template')

  const unknown = await setupMicrosoft(t, { tenant: 'unknown.example' })
  t.equal((await authorize(unknown, 'microsoft')).status, 500, 'an unknown domain (Microsoft answers 400)')

  const keyForB = await setupMicrosoft(t, { tenant: 'organizations' }, { keyIssuer: (authority) => `${authority}/${TENANT_B}/v2.0` })
  t.same(await outcome(keyForB, await microsoftSignIn(keyForB, alice)), { error: 'ERR_OAUTH_VERIFICATION_FAILED' }, "a token of tenant A signed with tenant B's key")
  t.match(errorText(keyForB.errors.at(-1)), /key for another issuer/)
  t.match(await outcome(keyForB, await microsoftSignIn(keyForB, { ...alice, tid: TENANT_B })), { userId: String }, "tenant B's token with tenant B's key")
})

t.test('microsoft: options', async (t) => {
  const ok = { tenant: 'organizations', clientId: '11111111-2222-4333-8444-555555555555' }
  t.match(microsoft(ok), { name: 'microsoft', kind: 'redirect' })
  t.equal(microsoft({ ...ok, name: 'entra' }).name, 'entra')
  for (const tenant of ['common', 'organizations', 'consumers', 'CONSUMERS', TENANT_A, TENANT_A.toUpperCase(), 'contoso.com', 'contoso.onmicrosoft.com']) {
    t.doesNotThrow(() => microsoft({ ...ok, tenant }), `tenant ${tenant}`)
  }
  const refused: [string, unknown][] = [
    ['no tenant', { clientId: ok.clientId }],
    ['a tenant that is a path', { ...ok, tenant: 'common/../x' }],
    ['a tenant that is a word', { ...ok, tenant: 'contoso' }],
    ['allowedTenants with one tenant', { ...ok, tenant: TENANT_A, allowedTenants: [TENANT_A] }],
    ['allowedTenants that are not GUIDs', { ...ok, allowedTenants: ['contoso.com'] }],
    ['empty allowedTenants', { ...ok, allowedTenants: [] }],
    ['authority over plain http', { ...ok, authority: 'http://login.example.com' }],
    ['an empty clientSecret', { ...ok, clientSecret: '' }],
    ['no clientId', { tenant: 'common' }],
  ]
  for (const [what, options] of refused) t.throws(() => microsoft(options as MicrosoftOptions), { name: 'TypeError' }, what)
})
