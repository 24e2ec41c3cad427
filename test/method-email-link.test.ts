// Sign-in by email link or code (plugins/methods/email-link): over HTTP on
// the four adapters, from code, against each of its defences (answers alike,
// send limits, five code attempts, single use, expiry, supersession, links
// under appUrl only, pre-account hijacking), and on SQLite, PostgreSQL and
// MariaDB for its atomic consumption.
import t, { type Test } from 'tap'
import {
  AuthCore, AuthError, isAuthError, type AuthCoreOptions, type AuthEvents, type MailMessage, type SignedIn, type StoragePlugin,
} from '../lib/index.js'
import { emailLink, type EmailLinkOptions } from '../plugins/methods/email-link/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { memoryMailer, type MemoryMailer } from '../plugins/testing/index.js'
import { APPS, startNode } from './helpers/apps.js'
import { errorOf } from './helpers/auth.js'
import { APP_URL, linkIn, mailAuth, PASS, tokenIn } from './helpers/email.js'
import { eachEngine } from './helpers/engines.js'
import { newSecret } from './helpers/keys.js'

const codeOf = async (promise: Promise<unknown>) => (await errorOf(promise)).code
const settle = (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms))

interface Setup {
  auth: AuthCore
  mailer: MemoryMailer
  links: ReturnType<typeof emailLink>
  storage: StoragePlugin
}

/** AuthCore with the email-link plugin, a memory mailer and (by default) in-memory SQLite. */
async function setup(t: Test, link: EmailLinkOptions = {}, options: Partial<AuthCoreOptions> = {}): Promise<Setup> {
  const links = emailLink(link)
  const storage = options.storage ?? sqliteStorage({ filename: ':memory:' })
  const { auth, mailer } = await mailAuth(t, { ...options, storage, plugins: [links] })
  return { auth, mailer, links, storage }
}

/** A user whose address is verified (as after a verification link). */
async function verifiedUser(auth: AuthCore, storage: StoragePlugin, email: string, pass = PASS) {
  const user = await auth.createUser({ email, name: 'Verified', pass })
  await storage.updateUser(user.id, { emailVerified: true })
  return user
}

/**
 * The next sign-in message to `to` sent after this call (other kinds, such as
 * the verification mail of a sign-up, are skipped). Call it before the request.
 */
function signInMail(mailer: MemoryMailer, to: string, timeoutMs = 5000): Promise<MailMessage> {
  const seen = mailer.messages.length
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const look = () => {
      const found = mailer.messages.slice(seen).find((m) => m.kind === 'sign-in-link' && m.to.toLowerCase() === to.toLowerCase())
      if (found) return resolve(found)
      if (Date.now() - started > timeoutMs) return reject(new Error(`no sign-in mail to ${to} within ${timeoutMs} ms`))
      setTimeout(look, 5)
    }
    look()
  })
}

/** The sign-in mails sent so far. */
const signInMails = (mailer: MemoryMailer) => mailer.messages.filter((m) => m.kind === 'sign-in-link')

/** The code a message carries. */
function codeIn(message: MailMessage): string {
  const found = /Your code: (\d{8})/.exec(message.text)
  if (!found) throw new Error('no code in the message')
  return found[1]!
}

/** Records the events named, in order. */
function record<K extends keyof AuthEvents>(auth: AuthCore, names: readonly K[]) {
  const seen: { event: K; payload: AuthEvents[K] }[] = []
  for (const event of names) auth.on(event, (payload) => void seen.push({ event, payload }))
  return seen
}

for (const { name, start } of APPS) {
  t.test(`a link signs in over HTTP on ${name}; opening it consumes nothing; forged hosts change nothing`, async (t) => {
    const { auth, mailer, storage } = await setup(t)
    await verifiedUser(auth, storage, 'ada@example.com')
    const app = await start(auth, { trustProxy: true })
    t.teardown(() => app.close())
    const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${app.url}${path}`, {
        method,
        headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      return { status: response.status, type: response.headers.get('content-type'), body: text ? (JSON.parse(text) as Record<string, any>) : undefined }
    }
    const forged = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', forwarded: 'host=evil.example;proto=http' }

    const mail = signInMail(mailer, 'ada@example.com')
    const asked = await send('POST', '/auth/email-link/request', { email: 'Ada@Example.com' }, forged)
    t.same([asked.status, asked.body], [202, { ok: true }], 'accepted')
    const unknown = await send('POST', '/auth/email-link/request', { email: 'nobody@example.com' }, forged)
    t.same(unknown, asked, 'an address with no account answers exactly alike')
    const message = await mail
    const link = linkIn(message)
    t.equal(`${link.origin}${link.pathname}`, `${APP_URL}/sign-in/email`, 'the link is under appUrl whatever the request said its host was')
    t.same([...link.searchParams.keys()], ['token'], 'and carries only the token')
    const token = tokenIn(message)
    t.match(token, /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url')

    for (const method of ['GET', 'HEAD']) {
      const opened = await send(method, `/auth/email-link/sign-in?token=${token}`)
      t.not(opened.status, 200, `a ${method} of the sign-in path is not a sign-in (${opened.status})`)
    }
    const signedIn = await send('POST', '/auth/email-link/sign-in', { token })
    t.equal(signedIn.status, 200, 'the POST signs in: the GET and HEAD consumed nothing')
    t.match(signedIn.body, { user: { email: 'ada@example.com', emailVerified: true }, token: String, refreshToken: String })
    t.notOk('passwordHash' in signedIn.body!.user, 'no secret in the user')
    t.equal((await auth.verify(signedIn.body!.token)).sub, signedIn.body!.user.id, 'a working access token')
    t.equal((await send('POST', '/auth/token/refresh', { refreshToken: signedIn.body!.refreshToken })).status, 200, 'and a working session')
    const again = await send('POST', '/auth/email-link/sign-in', { token })
    t.same([again.status, again.body], [400, { error: 'This sign-in link was already used', code: 'ERR_EMAIL_LINK_USED' }], 'single use')
    t.equal((await send('POST', '/auth/email-link/sign-in', { token, role: 'admin' })).body!.code, 'ERR_AUTH_INPUT_INVALID', 'unknown fields refused')
    t.ok((await auth.signIn({ email: 'ada@example.com', pass: PASS })).token, 'a verified account keeps its password')
  })
}

t.test('links are built from appUrl even when the Request itself names another origin', async (t) => {
  const { auth, mailer, storage } = await setup(t, { linkPath: '/welcome/back' })
  await verifiedUser(auth, storage, 'ada@example.com')
  const mail = signInMail(mailer, 'ada@example.com')
  const response = await auth.handle(new Request('https://evil.example/auth/email-link/request', {
    method: 'POST',
    headers: { 'content-type': 'application/json', host: 'evil.example', 'x-forwarded-host': 'evil.example' },
    body: JSON.stringify({ email: 'ada@example.com' }),
  }))
  t.equal(response.status, 202)
  const message = await mail
  t.equal(linkIn(message).origin, APP_URL)
  t.equal(linkIn(message).pathname, '/welcome/back', 'at the configured path')
  t.notMatch(message.text + message.html, /evil/, 'nothing of the forged host anywhere in the message')
})

t.test('a code signs in, from code and over HTTP; one code per request, once', async (t) => {
  const { auth, mailer, links, storage } = await setup(t, {}, { rateLimit: { scopes: { 'email-link:recipient': { limit: 10, window: 900 } } } })
  await verifiedUser(auth, storage, 'ada@example.com')
  const signedIn = record(auth, ['user:signed-in'])

  let mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com', code: true })
  let message = await mail
  const code = codeIn(message)
  t.notOk(message.text.includes('http'), 'a code message carries no link')
  t.match(message.html, new RegExp(`<strong>${code}</strong>`))
  const result = await links.signInWithCode('ADA@example.com', code)
  t.equal(result.user.email, 'ada@example.com')
  t.equal(await codeOf(links.signInWithCode('ada@example.com', code)), 'ERR_EMAIL_LINK_CODE_INVALID', 'used up')
  t.match(signedIn, [{ payload: { method: 'email-link:code' } }], 'the sign-in is announced with the code method')
  t.same((await auth.verify(result.token)).amr, ['email-link:code'], 'and its token says so (amr)')

  const app = await startNode(auth, {})
  t.teardown(() => app.close())
  mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com', code: true })
  message = await mail
  const typed = `${codeIn(message).slice(0, 4)} ${codeIn(message).slice(4)}`
  const response = await fetch(`${app.url}/auth/email-link/code`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com', code: typed }),
  })
  t.equal(response.status, 200, 'a code typed with a space works over HTTP')
  t.match(await response.json(), { user: { email: 'ada@example.com' }, token: String, refreshToken: String })
  t.equal(await codeOf(links.signInWithCode('ada@example.com', 'abcdefgh')), 'ERR_EMAIL_LINK_CODE_INVALID', 'junk is refused')

  // A link and a code of one address: the newer request voids the older.
  mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com', code: true })
  const oldCode = codeIn(await mail)
  mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com' })
  const newLink = tokenIn(await mail)
  t.equal(await codeOf(links.signInWithCode('ada@example.com', oldCode)), 'ERR_EMAIL_LINK_CODE_INVALID', 'a newer link voids the code')
  t.ok((await links.signInWithLink(newLink)).token)
})

t.test('a code allows five attempts per address, counted across parallel requests; then the request is void', async (t) => {
  const { auth, mailer, links, storage } = await setup(t)
  await verifiedUser(auth, storage, 'ada@example.com')
  const events = record(auth, ['email-link:code-voided', 'rate-limit:exceeded'])
  const mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com', code: true })
  const code = codeIn(await mail)
  const wrong = (i: number) => String((Number(code) + 1 + i) % 100_000_000).padStart(8, '0')
  const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => links.signInWithCode('ada@example.com', wrong(i))))
  const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as AuthError).code : 'signed in')).sort()
  t.same(codes, [...Array(5).fill('ERR_EMAIL_LINK_CODE_ATTEMPTS'), ...Array(5).fill('ERR_EMAIL_LINK_CODE_INVALID')],
    'of 10 parallel wrong codes, five are tried and five refused')
  const refused = await errorOf(links.signInWithCode('ada@example.com', code))
  t.equal(refused.code, 'ERR_EMAIL_LINK_CODE_ATTEMPTS', 'then the right code is refused too')
  t.equal(refused.status, 429)
  t.match((refused as AuthError).details, { retryAfter: Number }, 'with the wait')
  t.same(events.filter((e) => e.event === 'email-link:code-voided').map((e) => e.payload), [{ email: 'ada@example.com' }], 'the request was voided, once')
  t.match(events.find((e) => e.event === 'rate-limit:exceeded')?.payload, { scope: 'email-link:attempt' })

  // Over HTTP the limit answers 429 with Retry-After.
  const response = await auth.handle(new Request('http://x/auth/email-link/code', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com', code }),
  }))
  t.equal(response.status, 429)
  t.ok(Number(response.headers.get('retry-after')) > 0)
})

t.test('five attempts: the fifth may be the right one; the attempts of an address with no account count alike', async (t) => {
  let now = Date.parse('2026-12-01T10:00:00Z')
  const { auth, mailer, links, storage } = await setup(t, {}, { now: () => now })
  await verifiedUser(auth, storage, 'ada@example.com')
  let mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com', code: true })
  const code = codeIn(await mail)
  const other = code === '00000000' ? '00000001' : '00000000'
  for (let i = 0; i < 4; i++) t.equal(await codeOf(links.signInWithCode('ada@example.com', other)), 'ERR_EMAIL_LINK_CODE_INVALID')
  t.ok((await links.signInWithCode('ada@example.com', code)).token, 'four wrong, then the right code: signed in')

  const nobody: (string | undefined)[] = []
  for (let i = 0; i < 6; i++) nobody.push(await codeOf(links.signInWithCode('nobody@example.com', other)))
  t.same(nobody, [...Array(5).fill('ERR_EMAIL_LINK_CODE_INVALID'), 'ERR_EMAIL_LINK_CODE_ATTEMPTS'], 'an unknown address is limited the same way')

  // The window is the code's lifetime: once it has passed, a new code gets its five attempts.
  now += 10 * 60_000 + 1000
  mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com', code: true })
  const fresh = codeIn(await mail)
  t.ok((await links.signInWithCode('ada@example.com', fresh)).token, 'a new code after the window')
})

t.test('expired, used, superseded and unknown links are told apart; codes expire', async (t) => {
  let now = Date.parse('2026-12-01T10:00:00Z')
  const { auth, mailer, links, storage } = await setup(t, {}, { now: () => now })
  await verifiedUser(auth, storage, 'ada@example.com')
  const ask = async (code = false) => {
    const mail = signInMail(mailer, 'ada@example.com')
    await links.request({ email: 'ada@example.com', code }, `198.51.100.${Math.floor(Math.random() * 200)}`)
    return mail
  }
  const first = tokenIn(await ask())
  const second = tokenIn(await ask())
  t.not(first, second)
  t.equal(await codeOf(links.signInWithLink(first)), 'ERR_EMAIL_LINK_SUPERSEDED', 'a newer request voids the older link')
  t.equal(await codeOf(links.signInWithLink('x'.repeat(43))), 'ERR_EMAIL_LINK_INVALID', 'unknown')
  t.equal(await codeOf(links.signInWithLink('not-a-token')), 'ERR_EMAIL_LINK_INVALID', 'malformed')
  now += 15 * 60_000 + 1000
  t.equal(await codeOf(links.signInWithLink(second)), 'ERR_EMAIL_LINK_EXPIRED', 'links last 15 minutes')
  const third = tokenIn(await ask())
  await links.signInWithLink(third)
  t.equal(await codeOf(links.signInWithLink(third)), 'ERR_EMAIL_LINK_USED', 'used')

  const code = codeIn(await ask(true))
  now += 10 * 60_000 + 1000
  t.equal(await codeOf(links.signInWithCode('ada@example.com', code)), 'ERR_EMAIL_LINK_CODE_INVALID', 'codes last 10 minutes')
})

t.test('lifetimes are configurable', async (t) => {
  let now = Date.parse('2026-12-01T10:00:00Z')
  const { auth, mailer, links, storage } = await setup(t, { ttl: '1 hour', codeTtl: 120 }, { now: () => now })
  await verifiedUser(auth, storage, 'ada@example.com')
  let mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com' })
  const token = tokenIn(await mail)
  mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com', code: true })
  const code = codeIn(await mail)
  now += 3 * 60_000
  t.equal(await codeOf(links.signInWithCode('ada@example.com', code)), 'ERR_EMAIL_LINK_CODE_INVALID', 'the code is gone after 2 minutes')
  t.equal(await codeOf(links.signInWithLink(token)), 'ERR_EMAIL_LINK_SUPERSEDED', 'and the link was voided by the code request')
  mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com' })
  const later = tokenIn(await mail)
  now += 50 * 60_000
  t.ok((await links.signInWithLink(later)).token, 'a link still works after 50 minutes')
})

t.test('unknown addresses: nothing is sent without signUp; with it, the link makes a verified account', async (t) => {
  await t.test('without signUp', async (t) => {
    const { auth, mailer, links } = await setup(t)
    const events = record(auth, ['email-link:requested'])
    t.equal(await links.request({ email: 'nobody@example.com' }), undefined, 'the same answer')
    await settle()
    t.same(signInMails(mailer), [], 'no mail')
    t.same(events.map((e) => e.payload), [{ email: 'nobody@example.com', kind: 'link', sent: false }], 'the event tells; the caller could not')
    t.equal(await codeOf(links.request({ email: 'not an address' })), 'ERR_AUTH_INPUT_INVALID', 'malformed input is refused for everyone alike')
    t.equal(await codeOf(links.request({ email: 'group:victim@example.com' })), 'ERR_AUTH_INPUT_INVALID', 'so is an address mail would rewrite')
  })

  await t.test('with signUp', async (t) => {
    const { auth, mailer, links } = await setup(t, { signUp: true }, { emailVerification: 'required' })
    const created = record(auth, ['user:created', 'user:signed-in'])
    let mail = signInMail(mailer, 'New.Person@Example.com')
    await links.request({ email: 'New.Person@Example.com' })
    let message = await mail
    t.equal(message.to, 'New.Person@Example.com', 'sent to the address as typed')
    t.match(message.text, /^Hello,$/m, 'no name yet')
    const result = await links.signInWithLink(tokenIn(message))
    t.match(result.user, { email: 'New.Person@Example.com', name: 'New.Person', emailVerified: true, role: 'user' }, 'a verified account, named after the address')
    t.equal((await auth.verify(result.token)).email_verified, true, 'the token says so (and emailVerification: required let it in)')
    t.match(created.map((e) => [e.event, e.payload]), [['user:created', { via: 'email-link' }], ['user:signed-in', { method: 'email-link' }]])
    t.equal(await codeOf(auth.signIn({ email: 'new.person@example.com', pass: PASS })), 'ERR_AUTH_INVALID_CREDENTIALS', 'it has no password')

    mail = signInMail(mailer, 'grace@example.com')
    await links.request({ email: 'grace@example.com', code: true })
    message = await mail
    const viaCode = await links.signInWithCode('grace@example.com', codeIn(message), { name: 'Grace Hopper' })
    t.match(viaCode.user, { email: 'grace@example.com', name: 'Grace Hopper', emailVerified: true }, 'a code makes one too, with the name given')

    // The app's sign-up rules apply, and a veto leaves the link usable.
    let closed = true
    auth.hook('beforeSignUp', ({ input }) => {
      if (closed && input.email.endsWith('@blocked.example')) throw new AuthError('ERR_AUTH_INPUT_INVALID', 'That domain cannot sign up')
    })
    mail = signInMail(mailer, 'x@blocked.example')
    await links.request({ email: 'x@blocked.example' })
    const token = tokenIn(await mail)
    t.equal(await codeOf(links.signInWithLink(token)), 'ERR_AUTH_INPUT_INVALID', "the app's beforeSignUp applies")
    closed = false
    t.ok((await links.signInWithLink(token)).token, 'the vetoed link still works once the rule allows it')
  })
})

t.test('send limits per address and per client address answer alike and emit rate-limit:exceeded', async (t) => {
  const { auth, mailer, links, storage } = await setup(t)
  await verifiedUser(auth, storage, 'ada@example.com')
  const limited = record(auth, ['rate-limit:exceeded'])
  for (let i = 0; i < 4; i++) t.equal(await links.request({ email: 'ada@example.com' }, `198.51.100.${i}`), undefined, `request ${i + 1} answers alike`)
  for (let i = 0; i < 4; i++) await links.request({ email: 'nobody@example.com' }, `198.51.100.${i}`)
  await settle(100)
  t.equal(signInMails(mailer).length, 3, 'three mails to one address per window, from any client address')
  t.same(limited.map((e) => e.payload.scope), ['email-link:recipient', 'email-link:recipient'], 'the fourth to each address was limited, the unknown one too')

  limited.length = 0
  for (let i = 0; i < 6; i++) await links.request({ email: `person${i}@example.com` }, '203.0.113.7')
  t.same(limited.map((e) => e.payload.scope), ['email-link:sender'], 'one client address may ask for five per window')

  // Over HTTP a limited request answers 202 like the others.
  const app = await startNode(auth, {})
  t.teardown(() => app.close())
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) {
    const response = await fetch(`${app.url}/auth/email-link/request`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'grace@example.com' }),
    })
    statuses.push(response.status)
    t.same(await response.json(), { ok: true })
  }
  t.same(statuses, [202, 202, 202, 202], 'limited or not, the same answer')
})

t.test('pre-account hijacking: proving the address of an unverified account ends what someone else set on it', async (t) => {
  await t.test('emailVerification optional: the squatter had a password and sessions', async (t) => {
    const { auth, mailer, links } = await setup(t)
    const events = record(auth, ['email-link:account-reclaimed'])
    // The attacker signs up first with the victim's address and keeps a session.
    const squatter = await auth.signUp({ email: 'victim@example.com', name: 'Not The Victim', pass: PASS })
    const second = await auth.signIn({ email: 'victim@example.com', pass: PASS })
    t.equal(squatter.user.emailVerified, false)

    const mail = signInMail(mailer, 'victim@example.com')
    await links.request({ email: 'victim@example.com' })
    const victim = await links.signInWithLink(tokenIn(await mail))
    t.equal(victim.user.id, squatter.user.id, 'the same account, now the victim\'s')
    t.equal(victim.user.emailVerified, true)
    t.same(events.map((e) => e.payload), [{ userId: squatter.user.id, passwordCleared: true }], 'and it says so')

    t.equal(await codeOf(auth.signIn({ email: 'victim@example.com', pass: PASS })), 'ERR_AUTH_INVALID_CREDENTIALS', "the attacker's password no longer works")
    t.equal(await codeOf(auth.refresh(squatter.refreshToken!)), 'ERR_AUTH_SESSION_REVOKED', "the attacker's refresh token is revoked")
    t.equal(await codeOf(auth.refresh(second.refreshToken!)), 'ERR_AUTH_SESSION_REVOKED', 'every session of theirs')
    t.equal(await codeOf(auth.verify(squatter.token, { strict: true })), 'ERR_AUTH_TOKEN_REVOKED', 'and their access token')
    t.ok((await auth.refresh(victim.refreshToken!)).token, "the victim's own session works")

    // Once verified, a link signs in without touching the account.
    const mail2 = signInMail(mailer, 'victim@example.com')
    await links.request({ email: 'victim@example.com' })
    const again = await links.signInWithLink(tokenIn(await mail2))
    t.ok(await auth.refresh(victim.refreshToken!), 'a verified account keeps its sessions')
    t.ok(again.token)
    t.equal(events.length, 1, 'no second reclaim')
  })

  await t.test('emailVerification required: the squatter never got tokens, but set a password', async (t) => {
    const { auth, mailer, links } = await setup(t, {}, { emailVerification: 'required' })
    const events = record(auth, ['email-link:account-reclaimed'])
    t.equal(await codeOf(auth.signUp({ email: 'victim@example.com', name: 'Squatter', pass: PASS })), 'ERR_AUTH_EMAIL_UNVERIFIED')
    const mail = signInMail(mailer, 'victim@example.com')
    await links.request({ email: 'victim@example.com', code: true })
    const victim = await links.signInWithCode('victim@example.com', codeIn(await mail))
    t.equal(victim.user.emailVerified, true, 'the code proved the address, so the required check lets the owner in')
    t.equal(events.length, 1)
    t.equal(await codeOf(auth.signIn({ email: 'victim@example.com', pass: PASS })), 'ERR_AUTH_INVALID_CREDENTIALS', 'the password set by someone else is gone')
  })
})

t.test('disabled accounts get no mail, and a link issued before is refused', async (t) => {
  const { auth, mailer, links, storage } = await setup(t)
  const user = await verifiedUser(auth, storage, 'ada@example.com')
  const events = record(auth, ['email-link:requested'])
  const mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com' })
  const token = tokenIn(await mail)
  await storage.updateUser(user.id, { disabled: true })
  t.equal(await codeOf(links.signInWithLink(token)), 'ERR_EMAIL_LINK_INVALID')
  await links.request({ email: 'ada@example.com' })
  await settle()
  t.equal(signInMails(mailer).length, 1, 'no mail to a disabled account')
  t.match(events.map((e) => e.payload), [{ sent: true, userId: user.id }, { sent: false, userId: user.id }])
  await storage.updateUser(user.id, { disabled: false })
  t.ok((await links.signInWithLink(token)).token, 'the refusal did not use the link up')
})

t.test("the app's beforeSignIn hook applies, and a veto leaves the link usable", async (t) => {
  const { auth, mailer, links, storage } = await setup(t)
  await verifiedUser(auth, storage, 'ada@example.com')
  let veto = true
  auth.hook('beforeSignIn', () => {
    if (veto) throw new AuthError('ERR_AUTH_FORBIDDEN')
  })
  const mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com' })
  const token = tokenIn(await mail)
  t.equal(await codeOf(links.signInWithLink(token)), 'ERR_AUTH_FORBIDDEN')
  veto = false
  t.ok((await links.signInWithLink(token)).token)
})

t.test('a template override renders the message', async (t) => {
  const seen: unknown[] = []
  const { auth, mailer, links, storage } = await setup(t, {
    template: (input) => {
      seen.push({ kind: input.kind, to: input.to, hasLink: input.link !== undefined, hasCode: input.code !== undefined })
      return { subject: 'Come on in', text: `${input.link ?? input.code}\n` }
    },
  })
  await verifiedUser(auth, storage, 'ada@example.com')
  const mail = signInMail(mailer, 'ada@example.com')
  await links.request({ email: 'ada@example.com' })
  const message = await mail
  t.equal(message.subject, 'Come on in')
  t.ok((await links.signInWithLink(tokenIn(message))).token)
  t.same(seen, [{ kind: 'sign-in-link', to: 'ada@example.com', hasLink: true, hasCode: false }])
})

t.test('options and set-up', async (t) => {
  t.throws(() => emailLink({ linkPath: 'https://evil.example/x' }), { name: 'TypeError', code: 'ERR_AUTH_USAGE' }, 'a link path, not a URL')
  t.throws(() => emailLink({ linkPath: '//evil.example/x' }), { name: 'TypeError' }, 'not protocol-relative')
  t.throws(() => emailLink({ linkPath: '/x?next=y' }), { name: 'TypeError' }, 'no query')
  t.throws(() => emailLink({ ttl: '2 days' }), { message: /ttl must be from 1 minute to 1 day/ })
  t.throws(() => emailLink({ codeTtl: 10 }), { message: /codeTtl must be from 1 minute to 1 hour/ })
  t.throws(() => emailLink({ signUp: 'yes' } as never), { message: /signUp/ })
  t.throws(() => emailLink({ extra: true } as never), { message: /'extra' is not a known option/ })

  const links = emailLink()
  t.equal((await errorOf(links.request({ email: 'a@example.com' }))).name, 'TypeError', 'a usage error before ready()')
  const auth = new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), plugins: [links] })
  t.teardown(() => auth.close())
  t.equal(await codeOf(auth.ready()), 'ERR_AUTH_OPTIONS_INVALID', 'ready() refuses without a mailer')

  const withMailer = new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), plugins: [emailLink()], mailer: memoryMailer(), appUrl: APP_URL })
  t.teardown(() => withMailer.close())
  await withMailer.ready()
  t.ok(isAuthError(new AuthError('ERR_EMAIL_LINK_USED')), 'its error codes are registered')
})

eachEngine(t, 'a link signs in, and of 20 concurrent redemptions of one link or code exactly one wins', async (t, engine) => {
  // Enough code attempts for the race: the limit of five has its own test.
  const rateLimit = { scopes: { 'email-link:attempt': { limit: 100, window: 600 } } }
  const { auth, mailer, links, storage } = await setup(t, { signUp: true }, { storage: engine.storage(t), rateLimit })
  await verifiedUser(auth, storage, 'verified@example.com')
  await auth.signUp({ email: 'unverified@example.com', name: 'Squatter', pass: PASS })
  const reclaimed = record(auth, ['email-link:account-reclaimed'])

  const race = async (label: string, email: string, code: boolean) => {
    const mail = signInMail(mailer, email)
    await links.request({ email, code })
    const message = await mail
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => (code ? links.signInWithCode(email, codeIn(message)) : links.signInWithLink(tokenIn(message)))),
    )
    const won = results.filter((r): r is PromiseFulfilledResult<SignedIn> => r.status === 'fulfilled')
    t.equal(won.length, 1, `${label}: exactly one of 20 wins`)
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as AuthError).code)
    const expected = code ? 'ERR_EMAIL_LINK_CODE_INVALID' : 'ERR_EMAIL_LINK_USED'
    t.same([...new Set(losers)], [expected], `${label}: the others are told ${expected}`)
    const method = code ? 'email-link:code' : 'email-link'
    t.same((await auth.verify(won[0]!.value.token)).amr, [method], `${label}: the token carries amr ['${method}']`)
    const refreshed = await auth.refresh(won[0]!.value.refreshToken!)
    t.same((await auth.verify(refreshed.token)).amr, [method], `${label}: the winner's session works, and keeps the amr`)
    return won[0]!.value
  }

  await race('a verified account, link', 'verified@example.com', false)
  const squatted = await race('an unverified account, link', 'unverified@example.com', false)
  t.equal(squatted.user.emailVerified, true)
  t.equal(reclaimed.length, 1, 'reclaimed once')
  const made = await race('a new address, link', 'new@example.com', false)
  t.match(made.user, { email: 'new@example.com', emailVerified: true })
  await race('a verified account, code', 'verified@example.com', true)
  t.equal((await storage.findUserByEmailKey('new@example.com'))?.id, made.user.id, 'one account for the new address')
})

t.test('five attempts per code, whenever the first attempt at the address came', async (t) => {
  let clock = Date.parse('2026-12-01T10:00:00Z')
  const { auth, mailer, links, storage } = await setup(t, {}, { now: () => clock })
  await verifiedUser(auth, storage, 'victim@example.com')
  const wrong = (i: number, code: string) => (String(10_000_000 + i) === code ? String(20_000_000 + i) : String(10_000_000 + i))
  // An attempt long before the code exists must not start a window that runs out mid-code.
  t.equal(await codeOf(links.signInWithCode('victim@example.com', '10000000')), 'ERR_EMAIL_LINK_CODE_INVALID')
  clock += 9 * 60_000 + 50_000
  const sent = signInMail(mailer, 'victim@example.com')
  await links.request({ email: 'victim@example.com', code: true })
  const code = codeIn(await sent)
  for (let i = 1; i <= 4; i++) t.equal(await codeOf(links.signInWithCode('victim@example.com', wrong(i, code))), 'ERR_EMAIL_LINK_CODE_INVALID')
  clock += 15_000
  t.equal(await codeOf(links.signInWithCode('victim@example.com', wrong(5, code))), 'ERR_EMAIL_LINK_CODE_INVALID', 'the fifth attempt at this code')
  t.equal(await codeOf(links.signInWithCode('victim@example.com', wrong(6, code))), 'ERR_EMAIL_LINK_CODE_ATTEMPTS', 'the sixth is refused')
  clock += 11 * 60_000
  t.equal(await codeOf(links.signInWithCode('victim@example.com', code)), 'ERR_EMAIL_LINK_CODE_INVALID', 'and the code is void, even once the window has passed')
})

t.test('a reclaim voids an email change the pre-registrant queued', async (t) => {
  const { auth, mailer, links } = await setup(t, { signUp: true })
  const attackerPass = 'attacker password 1234'
  const pre = await auth.signUp({ email: 'victim@example.com', name: 'V', pass: attackerPass })
  await mailer.next('victim@example.com')
  const toAttacker = mailer.next('attacker@evil.example')
  await auth.editProfile(pre.user.id, { email: 'attacker@evil.example', currentPass: attackerPass }, { as: await auth.verify(pre.token) })
  const changeToken = tokenIn(await toAttacker)
  const sent = signInMail(mailer, 'victim@example.com')
  await links.request({ email: 'victim@example.com' })
  const victim = await links.signInWithLink(tokenIn(await sent))
  t.equal(victim.user.id, pre.user.id, 'the victim took the account back')
  t.equal(await codeOf(auth.verifyEmail({ token: changeToken })), 'ERR_EMAIL_TOKEN_INVALID', "the attacker's change link does nothing now")
  t.ok(await auth.refresh(victim.refreshToken!), "and the victim's session goes on")
})
