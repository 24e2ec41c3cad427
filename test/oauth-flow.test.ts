// Sign-in with OpenID Connect against a real provider (oidc-provider, in
// process on 127.0.0.1): the full redirect flow over HTTP on the four
// adapters and on SQLite and PostgreSQL, and each way the flow must refuse.
import t, { type Test } from 'tap'
import { AuthCore, type AuthCoreOptions, type AuthEvents, type StoragePlugin } from '../lib/index.js'
import { basic } from '../plugins/methods/basic.js'
import { oidc } from '../plugins/methods/oidc/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { APPS, startNode } from './helpers/apps.js'
import type { StartApp } from './helpers/http-cases.js'
import { eachEngine } from './helpers/engines.js'
import { errorOf } from './helpers/auth.js'
import { fastHasher } from './helpers/hashers.js'
import { newSecret } from './helpers/keys.js'
import { startProvider, type TestProvider } from './helpers/oidc-provider.js'
import { cookiePair, get, oauthBrowser, type OAuthBrowser } from './helpers/oauth-browser.js'

const APP_URL = 'https://app.example.com'
const AFTER = `${APP_URL}/after-login`
const callbackOf = (name: string) => `${APP_URL}/auth/oauth/${name}/callback`

interface Flow {
  auth: AuthCore
  provider: TestProvider
  url: string
  events: { event: string; payload: unknown }[]
  /** The browser: its cookies carry an attempt to the callback and a code to the exchange. */
  browser: OAuthBrowser
}

async function setup(t: Test, options: { storage?: StoragePlugin; start?: StartApp; extra?: Partial<AuthCoreOptions> } = {}): Promise<Flow> {
  const provider = await startProvider({ redirectUris: [callbackOf('corp'), callbackOf('other')] })
  t.teardown(() => provider.close())
  const method = (name: string) => oidc({ name, issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret })
  const auth = new AuthCore({
    secret: newSecret(),
    storage: options.storage ?? sqliteStorage({ filename: ':memory:' }),
    appUrl: APP_URL,
    redirectUrls: [AFTER],
    methods: [basic(), method('corp'), method('other')],
    passwordPolicy: { hasher: fastHasher },
    ...options.extra,
  })
  t.teardown(() => auth.close())
  await auth.ready()
  const events: Flow['events'] = []
  for (const event of ['user:created', 'user:signed-in', 'oauth:failed', 'oauth:linked'] as const) {
    auth.on(event, (payload: AuthEvents[typeof event]) => void events.push({ event, payload }))
  }
  const app = await (options.start ?? startNode)(auth, {})
  t.teardown(() => app.close())
  return { auth, provider, url: app.url, events, browser: oauthBrowser(app.url) }
}

/** Starts a sign-in at `name`: the provider URL and the browser's attempt cookie. */
const authorize = (flow: Flow, name = 'corp', redirectTo = AFTER) => flow.browser.authorize(name, redirectTo)

/** Sends the provider's callback (a URL under appUrl) to the app under test, as the flow's browser. */
const callback = (flow: Flow, callbackUrl: URL, cookie?: string) => flow.browser.callback(callbackUrl, cookie)

/** POST /auth/oauth/token from the flow's browser (with the code cookie the callback set). */
const exchange = (flow: Flow, code: string) => flow.browser.exchange(code)

/** The whole flow for `sub`: answers where the browser lands after the callback. */
async function signInAs(flow: Flow, sub: string, name = 'corp') {
  const started = await authorize(flow, name)
  const back = await flow.provider.login(started.location, sub)
  return new URL((await callback(flow, back, started.cookie)).location)
}

for (const { name, start } of APPS) {
  t.test(`the full flow on ${name}`, async (t) => {
    const flow = await setup(t, { start })
    flow.provider.addAccount({ sub: 'alice-1', email: 'Alice@Example.com', emailVerified: true, name: 'Alice' })
    const started = await authorize(flow)
    t.equal(started.status, 302)
    const toProvider = new URL(started.location)
    t.equal(toProvider.origin, new URL(flow.provider.issuer).origin, 'sent to the provider')
    t.equal(toProvider.searchParams.get('code_challenge_method'), 'S256', 'PKCE')
    t.ok(toProvider.searchParams.get('state') && toProvider.searchParams.get('nonce'), 'state and nonce')
    t.equal(toProvider.searchParams.get('redirect_uri'), callbackOf('corp'), 'the callback under appUrl')
    t.match(started.setCookie[0], /^authcore_oauth_corp=[A-Za-z0-9_-]{43}; Path=\/auth\/oauth\/corp\/callback; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/)

    const back = await flow.provider.login(started.location, 'alice-1')
    const landed = await callback(flow, back, started.cookie)
    t.equal(landed.status, 302)
    const after = new URL(landed.location)
    t.equal(`${after.origin}${after.pathname}`, AFTER, 'back to the listed URL')
    const code = after.searchParams.get('code')!
    t.match(code, /^[A-Za-z0-9_-]{43}$/, 'with a one-time code')
    t.match(landed.setCookie[0], /^authcore_oauth_corp=; .*Max-Age=0/, 'the attempt cookie is cleared')

    const signedIn = await exchange(flow, code)
    t.equal(signedIn.status, 200)
    t.match(signedIn.body, { user: { email: 'Alice@Example.com', name: 'Alice', emailVerified: true }, token: String, refreshToken: String })
    t.equal((await flow.auth.verify(signedIn.body.token)).sub, signedIn.body.user.id)
    t.equal((await exchange(flow, code)).body.code, 'ERR_OAUTH_CODE_INVALID', 'the code is single use')

    const again = await signInAs(flow, 'alice-1')
    const second = await exchange(flow, again.searchParams.get('code')!)
    t.equal(second.body.user.id, signedIn.body.user.id, 'the same identity, the same user')
    t.match(flow.events.filter((e) => e.event !== 'oauth:failed').map((e) => e.event), ['user:created', 'user:signed-in', 'user:signed-in'])
    t.match(flow.events[1]!.payload, { method: 'oauth:corp' })
  })
}

eachEngine(t, 'the flow keeps identities in the credentials store', async (t, engine) => {
  if (engine.name === 'mysql') return
  const flow = await setup(t, { storage: engine.storage(t) })
  flow.provider.addAccount({ sub: 'bob-1', email: 'bob@example.com', emailVerified: true })
  const landed = await signInAs(flow, 'bob-1')
  const first = await exchange(flow, landed.searchParams.get('code')!)
  t.equal(first.status, 200)
  const again = await exchange(flow, (await signInAs(flow, 'bob-1')).searchParams.get('code')!)
  t.equal(again.body.user.id, first.body.user.id)
})

eachEngine(t, "an OAuth sign-in's tokens carry amr ['oauth:corp'], before and after a refresh", async (t, engine) => {
  const storage = engine.storage(t)
  const flow = await setup(t, { storage })
  flow.provider.addAccount({ sub: 'amr-1', email: 'amr@example.com', emailVerified: true })
  const signedIn = await exchange(flow, (await signInAs(flow, 'amr-1')).searchParams.get('code')!)
  t.equal(signedIn.status, 200)
  t.same((await flow.auth.verify(signedIn.body.token)).amr, ['oauth:corp'], 'the sign-in token')
  t.equal((await storage.sessions!.findSession(signedIn.body.refreshToken.slice(0, 36)))?.method, 'oauth:corp', 'the session remembers it')
  const refreshed = await flow.auth.refresh(signedIn.body.refreshToken)
  t.same((await flow.auth.verify(refreshed.token)).amr, ['oauth:corp'], 'after a refresh')
  const other = await exchange(flow, (await signInAs(flow, 'amr-1', 'other')).searchParams.get('code')!)
  t.same((await flow.auth.verify(other.body.token)).amr, ['oauth:other'], 'another provider names itself')
})

t.test('refused: redirect_to must be listed exactly', async (t) => {
  const flow = await setup(t)
  for (const bad of [`${AFTER}/../evil`, `${AFTER}x`, `${AFTER}?next=https://evil.example`, 'https://evil.example/after-login', `${AFTER}#x`, '']) {
    const started = await authorize(flow, 'corp', bad)
    t.equal(started.status, 400, `refused: ${bad || '(empty)'}`)
    t.equal(started.location, '', 'and no redirect anywhere')
    t.match(JSON.parse(started.text), { code: 'ERR_OAUTH_REDIRECT_NOT_ALLOWED' })
  }
  const none = await get(`${flow.url}/auth/oauth/corp/authorize`)
  t.match(JSON.parse(none.text), { code: 'ERR_OAUTH_REDIRECT_NOT_ALLOWED' })
})

t.test('refused: a wrong, missing or replayed state; no cookie; another provider\'s attempt', async (t) => {
  const flow = await setup(t)
  flow.provider.addAccount({ sub: 'carol-1', email: 'carol@example.com', emailVerified: true })
  const started = await authorize(flow)
  const back = await flow.provider.login(started.location, 'carol-1')

  const wrongState = new URL(back)
  wrongState.searchParams.set('state', 'x'.repeat(43))
  t.match(JSON.parse((await callback(flow, wrongState, started.cookie)).text), { code: 'ERR_OAUTH_STATE_INVALID' }, 'a wrong state')
  const noState = new URL(back)
  noState.searchParams.delete('state')
  t.match(JSON.parse((await callback(flow, noState, started.cookie)).text), { code: 'ERR_OAUTH_STATE_INVALID' }, 'no state')

  const noCookie = await callback(flow, back)
  t.equal(new URL(noCookie.location).searchParams.get('error'), 'ERR_OAUTH_ATTEMPT_MISMATCH', 'no cookie: login CSRF refused')
  t.equal(new URL(noCookie.location).searchParams.get('code'), null)
  const stranger = await authorize(flow, 'other')
  const otherPath = new URL(back)
  otherPath.pathname = '/auth/oauth/other/callback'
  const crossed = await callback(flow, otherPath, stranger.cookie)
  t.equal(new URL(crossed.location).searchParams.get('error'), 'ERR_OAUTH_ATTEMPT_MISMATCH', "corp's attempt at other's callback, with other's cookie")

  const ok = await callback(flow, back, started.cookie)
  t.ok(new URL(ok.location).searchParams.get('code'), 'the genuine browser still gets in')
  const replay = await callback(flow, back, started.cookie)
  t.match(JSON.parse(replay.text), { code: 'ERR_OAUTH_STATE_INVALID' }, 'a replayed callback (state and code) is refused')
})

t.test('refused: every ID token the client must not accept', async (t) => {
  const flow = await setup(t)
  flow.provider.addAccount({ sub: 'dave-1', email: 'dave@example.com', emailVerified: true })
  const reported: unknown[] = []
  flow.auth.on('error', ({ error }) => void reported.push(error))
  const tampers = [
    ['another issuer', { idTokenIssuer: 'http://127.0.0.1:9/evil' }],
    ['another audience', { idTokenAudience: 'someone-else' }],
    ['expired', { idTokenExpiresIn: -120 }],
    ['another nonce', { nonce: 'not-the-one' }],
    ['alg none', { alg: 'none' }],
    ['HS256 with the client secret', { alg: 'HS256' }],
    ["a payload the provider's signature does not cover", { breakSignature: true }],
  ] as const
  for (const [what, tamper] of tampers) {
    flow.provider.tamper(tamper)
    const landed = await signInAs(flow, 'dave-1')
    t.equal(landed.searchParams.get('error'), 'ERR_OAUTH_VERIFICATION_FAILED', what)
    t.equal(landed.searchParams.get('code'), null, `${what}: no code`)
  }
  t.equal(flow.events.filter((e) => e.event === 'user:created').length, 0, 'no account was made')
  t.equal(reported.length, tampers.length, 'each reason reported as an error event')
  const { inspect } = await import('node:util')
  const shown = inspect(reported, { depth: 10, showHidden: true })
  t.notMatch(shown, /dave@example\.com|access_token|id_token|eyJ/, "the reports carry none of the token's claims or the provider's tokens")
})

t.test('accounts: an email that exists links only if verified on both sides by a trusted provider', async (t) => {
  const storage = sqliteStorage({ filename: ':memory:' })
  const flow = await setup(t, { storage, extra: { trustedProviders: ['corp'] } })
  const local = await flow.auth.createUser({ email: 'erin@example.com', name: 'Erin', pass: 'correct horse battery staple' })
  flow.provider.addAccount({ sub: 'erin-unverified', email: 'erin@example.com', emailVerified: false })
  flow.provider.addAccount({ sub: 'erin-1', email: 'Erin@example.com', emailVerified: true })
  t.equal((await signInAs(flow, 'erin-1')).searchParams.get('error'), 'ERR_OAUTH_ACCOUNT_EXISTS', 'the local email is not verified yet')
  await storage.updateUser(local.id, { emailVerified: true })
  t.equal((await signInAs(flow, 'erin-unverified')).searchParams.get('error'), 'ERR_OAUTH_EMAIL_UNVERIFIED',
    "the provider's email_verified: false never links (and is refused before the address is looked up: no registered-address oracle)")
  t.equal((await signInAs(flow, 'erin-1', 'other')).searchParams.get('error'), 'ERR_OAUTH_ACCOUNT_EXISTS', 'an untrusted provider never links')
  const linked = await signInAs(flow, 'erin-1')
  const signedIn = await exchange(flow, linked.searchParams.get('code')!)
  t.equal(signedIn.body.user.id, local.id, 'verified on both sides, trusted: linked to the existing account')
  t.ok(flow.events.some((e) => e.event === 'oauth:linked'), 'and the link is an event')
  t.match(flow.events.filter((e) => e.event === 'oauth:failed').map((e) => (e.payload as { code: string }).code), ['ERR_OAUTH_ACCOUNT_EXISTS', 'ERR_OAUTH_EMAIL_UNVERIFIED', 'ERR_OAUTH_ACCOUNT_EXISTS'])
})

t.test('accounts: a new account needs a verified email from the provider', async (t) => {
  const flow = await setup(t)
  flow.provider.addAccount({ sub: 'frank-1', email: 'frank@example.com', emailVerified: false })
  flow.provider.addAccount({ sub: 'grace-1' })
  t.equal((await signInAs(flow, 'frank-1')).searchParams.get('error'), 'ERR_OAUTH_EMAIL_UNVERIFIED')
  t.equal((await signInAs(flow, 'grace-1')).searchParams.get('error'), 'ERR_OAUTH_EMAIL_REQUIRED')
})

t.test('options: redirectUrls are exact https (or loopback http) URLs; trustedProviders name redirect methods', async (t) => {
  const method = oidc({ name: 'corp', issuer: 'https://idp.example.com', clientId: 'c' })
  const problems = (options: Partial<AuthCoreOptions>) => {
    try {
      new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), methods: [basic(), method], ...options }).close()
      return []
    } catch (err) {
      return (err as { details?: { problems: string[] } }).details?.problems ?? [String(err)]
    }
  }
  t.match(problems({ redirectUrls: ['http://app.example.com/after'] }), [/must use https/])
  t.match(problems({ redirectUrls: ['https://app.example.com/after#x'] }), [/fragment/])
  t.match(problems({ redirectUrls: ['https://APP.example.com/after'] }), [/write 'https:\/\/APP.example.com\/after' as 'https:\/\/app.example.com\/after'/])
  t.same(problems({ redirectUrls: ['http://127.0.0.1:3000/after', 'https://app.example.com/after?tab=1'] }), [])
  t.match(problems({ trustedProviders: ['google'] }), [/'google' is not a configured redirect method/])
  t.same(problems({ trustedProviders: ['corp'] }), [])
  t.throws(() => oidc({ name: 'corp', issuer: 'http://idp.example.com', clientId: 'c' }), { name: 'TypeError', message: /https/ }, 'plain http only on loopback')
  t.throws(() => oidc({ name: 'Corp', issuer: 'https://idp.example.com', clientId: 'c' }), TypeError)
})

/** Calls a Bearer route of the app under test. */
async function bearer(flow: Flow, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${flow.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const cookie = response.headers.getSetCookie()[0]
  return { status: response.status, body: (await response.json()) as Record<string, any>, cookie: cookie ? cookiePair(cookie) : '' }
}

t.test('explicit linking: a recent sign-in links a provider; the identity then signs in as that user', async (t) => {
  let clock = Date.now()
  const flow = await setup(t, { extra: { now: () => clock } })
  const pass = 'correct horse battery staple'
  await flow.auth.createUser({ email: 'henry@example.com', name: 'Henry', pass })
  const henry = await flow.auth.signIn({ email: 'henry@example.com', pass })
  flow.provider.addAccount({ sub: 'henry-at-corp', email: 'henry@corp.example', emailVerified: true })

  const unlisted = await bearer(flow, 'POST', '/auth/oauth/corp/link', henry.token, { redirect_to: 'https://evil.example/' })
  t.equal(unlisted.body.code, 'ERR_OAUTH_REDIRECT_NOT_ALLOWED')
  const started = await bearer(flow, 'POST', '/auth/oauth/corp/link', henry.token, { redirect_to: AFTER })
  t.equal(started.status, 200)
  t.match(started.cookie, /^authcore_oauth_corp=/, 'the attempt cookie, as for a sign-in')
  const back = await flow.provider.login(started.body.url, 'henry-at-corp')
  const landed = new URL((await callback(flow, back, started.cookie)).location)
  t.equal(landed.searchParams.get('linked'), 'corp', 'back to the app, linked')
  t.equal(landed.searchParams.get('code'), null, 'with no sign-in code')

  const viaCorp = await exchange(flow, (await signInAs(flow, 'henry-at-corp')).searchParams.get('code')!)
  t.equal(viaCorp.body.user.id, henry.user.id, 'the provider now signs in as Henry')

  // Someone else cannot take the identity over.
  await flow.auth.createUser({ email: 'ivy@example.com', name: 'Ivy', pass })
  const ivy = await flow.auth.signIn({ email: 'ivy@example.com', pass })
  const stealing = await bearer(flow, 'POST', '/auth/oauth/corp/link', ivy.token, { redirect_to: AFTER })
  const stolen = new URL((await callback(flow, await flow.provider.login(stealing.body.url, 'henry-at-corp'), stealing.cookie)).location)
  t.equal(stolen.searchParams.get('error'), 'ERR_OAUTH_IDENTITY_TAKEN')

  clock += 11 * 60_000
  const refreshed = await flow.auth.refresh(henry.refreshToken!)
  const late = await bearer(flow, 'POST', '/auth/oauth/corp/link', refreshed.token, { redirect_to: AFTER })
  t.equal(late.body.code, 'ERR_AUTH_REAUTH_REQUIRED', 'eleven minutes on, a refreshed token is not a recent sign-in')
})

t.test('unlinking: never the last way to sign in', async (t) => {
  const flow = await setup(t)
  flow.provider.addAccount({ sub: 'jack-1', email: 'jack@example.com', emailVerified: true })
  const jack = await exchange(flow, (await signInAs(flow, 'jack-1')).searchParams.get('code')!)
  const refused = await bearer(flow, 'DELETE', '/auth/oauth/corp/link', jack.body.token)
  t.equal(refused.status, 409)
  t.equal(refused.body.code, 'ERR_OAUTH_LAST_SIGN_IN_METHOD', 'no password and no other provider')

  const pass = 'correct horse battery staple'
  await flow.auth.createUser({ email: 'kate@example.com', name: 'Kate', pass })
  const kate = await flow.auth.signIn({ email: 'kate@example.com', pass })
  flow.provider.addAccount({ sub: 'kate-1', email: 'kate@corp.example', emailVerified: true })
  const started = await bearer(flow, 'POST', '/auth/oauth/corp/link', kate.token, { redirect_to: AFTER })
  await callback(flow, await flow.provider.login(started.body.url, 'kate-1'), started.cookie)
  const removed = await bearer(flow, 'DELETE', '/auth/oauth/corp/link', kate.token)
  t.same([removed.status, removed.body], [200, { removed: 1 }], 'Kate has a password: the provider may go')
  const after = await signInAs(flow, 'kate-1')
  t.not(after.searchParams.get('code'), null, 'the identity is no longer hers: it makes a new account')
  const fresh = await exchange(flow, after.searchParams.get('code')!)
  t.not(fresh.body.user.id, kate.user.id)
})

t.test("keepTokens: the provider's tokens are kept sealed with the identity and read back by the method", async (t) => {
  const provider = await startProvider({ redirectUris: [callbackOf('corp')] })
  t.teardown(() => provider.close())
  provider.addAccount({ sub: 'lena-1', email: 'lena@example.com', emailVerified: true })
  const corp = oidc({ name: 'corp', issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, keepTokens: true })
  const storage = sqliteStorage({ filename: ':memory:' })
  const auth = new AuthCore({ secret: newSecret(), storage, appUrl: APP_URL, redirectUrls: [AFTER], methods: [basic(), corp] })
  t.teardown(() => auth.close())
  await auth.ready()
  const app = await startNode(auth, {})
  t.teardown(() => app.close())
  const flow: Flow = { auth, provider, url: app.url, events: [], browser: oauthBrowser(app.url) }
  const signedIn = await exchange(flow, (await signInAs(flow, 'lena-1')).searchParams.get('code')!)
  const kept = await corp.tokens(signedIn.body.user.id)
  t.match(kept, { accessToken: String, expiresAt: String, scope: /openid/ }, 'read back by the method')
  const [identity] = await storage.credentials!.listCredentials(signedIn.body.user.id)
  t.match(identity!.data.tokens, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/, 'stored sealed')
  t.notOk(JSON.stringify(identity!.data).includes(kept!.accessToken), 'never in plain text')
})

t.test("the one-time code signs in only the browser the callback answered (login CSRF through the code)", async (t) => {
  const flow = await setup(t)
  flow.provider.addAccount({ sub: 'mallory-1', email: 'mallory@example.com', emailVerified: true })
  // The attacker runs the flow in their own browser and stops before the exchange.
  const landed = await signInAs(flow, 'mallory-1')
  const code = landed.searchParams.get('code')!
  t.match(flow.browser.codeCookie, /^authcore_oauth_code=[\w-]{43}$/, 'the callback set a code cookie in the browser that completed it')
  // The victim's browser is sent to the app's page with that code: it has no code cookie.
  const victim = oauthBrowser(flow.url)
  const pushed = await victim.exchange(code)
  t.equal(pushed.status, 400)
  t.equal(pushed.body.code, 'ERR_OAUTH_CODE_INVALID', 'refused in another browser')
  const own = await flow.browser.exchange(code)
  t.equal(own.status, 200, 'and still usable by the browser it belongs to (the refusal did not use it up)')
})

t.test('an appUrl with a path prefix: the cookies follow the paths the browser requests', async (t) => {
  const provider = await startProvider({ redirectUris: ['https://app.example.com/app/auth/oauth/corp/callback'] })
  t.teardown(() => provider.close())
  provider.addAccount({ sub: 'nina-1', email: 'nina@example.com', emailVerified: true })
  const auth = new AuthCore({
    secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), appUrl: 'https://app.example.com/app', redirectUrls: [AFTER],
    methods: [basic(), oidc({ name: 'corp', issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret })],
  })
  t.teardown(() => auth.close())
  await auth.ready()
  const app = await startNode(auth, {})
  t.teardown(() => app.close())
  const started = await get(`${app.url}/auth/oauth/corp/authorize?redirect_to=${encodeURIComponent(AFTER)}`)
  t.match(started.setCookie[0], /Path=\/app\/auth\/oauth\/corp\/callback;/, "the attempt cookie's path is the callback's, prefix included")
  const back = await provider.login(started.location, 'nina-1')
  t.equal(back.pathname, '/app/auth/oauth/corp/callback')
  // Behind a proxy that strips /app, the app sees /auth/...: the browser sent the cookie for /app/auth/... .
  const landed = await get(`${app.url}/auth/oauth/corp/callback${back.search}`, cookiePair(started.setCookie[0]!))
  t.ok(new URL(landed.location).searchParams.get('code'), 'signed in')
  t.match(landed.setCookie.find((c) => c.startsWith('authcore_oauth_code=')), /Path=\/app\/auth\/oauth\/token;/, "the code cookie's path is the exchange's")
})

t.test('from code (auth.oauth): the same flow, with the cookies handed to the app', async (t) => {
  const flow = await setup(t)
  flow.provider.addAccount({ sub: 'olga-1', email: 'olga@example.com', emailVerified: true })
  const started = await flow.auth.oauth.authorize('corp', AFTER)
  t.match(started.cookie, /^authcore_oauth_corp=[\w-]{43}; Path=\/auth\/oauth\/corp\/callback; HttpOnly; SameSite=Lax/)
  const back = await flow.provider.login(started.url, 'olga-1')
  const landed = await flow.auth.oauth.callback('corp', back.href, cookiePair(started.cookie))
  const code = new URL(landed.location).searchParams.get('code')!
  t.match(code, /^[\w-]{43}$/)
  const codeCookie = landed.cookies.map(cookiePair).find((c) => c.startsWith('authcore_oauth_code='))!
  t.equal((await errorOf(flow.auth.oauth.exchange(code, undefined))).code, 'ERR_OAUTH_CODE_INVALID', 'not without the code cookie')
  const signedIn = await flow.auth.oauth.exchange(code, `theme=dark; ${codeCookie}`)
  t.equal(signedIn.user.email, 'olga@example.com')
  t.equal((await errorOf(flow.auth.oauth.authorize('corp', 'https://evil.example/'))).code, 'ERR_OAUTH_REDIRECT_NOT_ALLOWED')
  t.equal((await errorOf(flow.auth.oauth.authorize('nope', AFTER))).name, 'TypeError', 'an unknown method: a usage error')
  const plain = new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }) })
  t.teardown(() => plain.close())
  t.throws(() => plain.oauth, { name: 'TypeError' }, 'without a redirect method: a usage error')
})
