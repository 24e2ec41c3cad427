// Account mail over HTTP, on each of the four framework adapters: password
// reset, links that a forged Host cannot move, confirmation pages that a GET
// or HEAD never consumes, answers that do not tell known addresses from
// unknown ones, token failures with their own codes, required verification
// and an email change that waits for its link. The programmatic cases are in
// email-account.test.ts.
import t, { type Test } from 'tap'
import { hashOneTimeSecret, type AuthCore, type AuthCoreOptions } from '../lib/index.js'
import type { MemoryMailer } from '../plugins/testing/index.js'
import { APPS } from './helpers/apps.js'
import { APP_URL, linkIn, mailAuth, NEW_PASS, PASS, tokenIn } from './helpers/email.js'
import { httpCall, pathOf, type HttpCall, type HttpReply } from './helpers/http-call.js'

const MINUTE = 60_000

// Every request comes from 127.0.0.1: the per-address limits (mail asked for,
// links redeemed, sign-ups) would end the run long before the cases do. The
// per-recipient limit stays as shipped: each case uses addresses of its own.
const ROOMY_LIMITS: AuthCoreOptions['rateLimit'] = {
  signUp: { limit: 1000 },
  signIn: { limit: 1000 },
  scopes: { 'email:sender': { limit: 1000 }, 'email:redeem': { limit: 1000 } },
}

/** An error answer: the status and exactly `{ error, code }`. */
function isError(t: Test, reply: HttpReply, status: number, code: string, what = code): void {
  t.equal(reply.status, status, `${what}: status ${status}`)
  const body = reply.json() as Record<string, unknown>
  t.equal(body.code, code, `${what}: code`)
  t.same(Object.keys(body).sort(), ['code', 'error'], `${what}: nothing but { error, code }`)
  t.equal(reply.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(reply.headers['cache-control'], 'no-store')
}

function isOk(t: Test, reply: HttpReply, status: number, what: string): any {
  t.equal(reply.status, status, `${what}: status ${status}`)
  return reply.json()
}

/** What every adapter is put through, on `app` (started with trustProxy: the forwarded headers are believed where they count). */
function adapterCases(t: Test, auth: AuthCore, mailer: MemoryMailer, url: string, clock: { skew: number }) {
  const send = (method: string, path: string, options?: HttpCall) => httpCall(url, method, path, options)
  const post = (path: string, body: unknown, headers?: Record<string, string>) => send('POST', path, { body, ...(headers && { headers }) })
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

  /** Signs up over HTTP (refused: verification is required), confirms the mailed link, signs in. */
  const verifiedUser = async (t: Test, email: string) => {
    const mail = mailer.next(email)
    isError(t, await post('/auth/email/signup', { email, name: 'User', pass: PASS }), 403, 'ERR_AUTH_EMAIL_UNVERIFIED', 'sign-up')
    isOk(t, await post('/auth/email/verify', { token: tokenIn(await mail) }), 200, 'the verification link')
    return isOk(t, await post('/auth/email/signin', { email, pass: PASS }), 200, 'sign-in') as { user: { id: string }; token: string; refreshToken: string }
  }

  /** Asks for a reset over HTTP and answers the mailed message. */
  const resetMail = async (t: Test, email: string, headers?: Record<string, string>) => {
    const mail = mailer.next(email)
    const reply = await post('/auth/password/forgot', { email }, headers)
    t.equal(reply.status, 202, 'forgot: 202')
    t.same(reply.json(), { ok: true })
    const message = await mail
    t.equal(message.kind, 'password-reset')
    return message
  }

  t.test('verification required: sign-up and sign-in answer 403 until the link is used; then the token says email_verified', async (t) => {
    const email = 'required@example.com'
    const first = mailer.next(email)
    const signUp = await post('/auth/email/signup', { email, name: 'Required', pass: PASS })
    isError(t, signUp, 403, 'ERR_AUTH_EMAIL_UNVERIFIED', 'sign-up')
    t.notMatch(signUp.text, /token/i, 'sign-up hands out no token')
    const firstMail = await first
    t.equal(firstMail.kind, 'email-verification')
    t.equal(linkIn(firstMail).origin + linkIn(firstMail).pathname, `${APP_URL}/auth/email/verify`, "the link opens AuthCore's page under appUrl")

    isError(t, await post('/auth/email/signin', { email, pass: 'not the password at all' }), 401, 'ERR_AUTH_INVALID_CREDENTIALS', 'a wrong password')
    const fresh = mailer.next(email)
    isError(t, await post('/auth/email/signin', { email, pass: PASS }), 403, 'ERR_AUTH_EMAIL_UNVERIFIED', 'sign-in before verifying')
    const second = await fresh
    t.equal(second.kind, 'email-verification', 'the refused sign-in sends a fresh link')
    isError(t, await post('/auth/email/verify', { token: tokenIn(firstMail) }), 400, 'ERR_EMAIL_TOKEN_SUPERSEDED', 'the first link, after the fresh one')

    t.same(isOk(t, await post('/auth/email/verify', { token: tokenIn(second) }), 200, 'the fresh link'), { ok: true })
    isError(t, await post('/auth/email/verify', { token: tokenIn(second) }), 400, 'ERR_EMAIL_TOKEN_USED', 'the same link again')
    const signedIn = isOk(t, await post('/auth/email/signin', { email, pass: PASS }), 200, 'sign-in after verifying')
    t.equal(signedIn.user.emailVerified, true)
    t.match(signedIn, { token: String, refreshToken: String })
    const claims = await auth.verify(signedIn.token)
    t.equal(claims.email_verified, true, "the access token's claims say the address is verified")
    t.equal(claims.email, email)
  })

  t.test('password reset: the link sets the new password and ends the old sessions', async (t) => {
    const email = 'reset@example.com'
    const session = await verifiedUser(t, email)
    const message = await resetMail(t, email)
    const link = linkIn(message)
    t.equal(link.origin + link.pathname, `${APP_URL}/auth/password/reset`)
    const token = tokenIn(message)

    isError(t, await post('/auth/password/reset', { token, pass: 'short' }), 400, 'ERR_AUTH_PASSWORD_WEAK', 'a weak password')
    const notice = mailer.next(email)
    t.same(isOk(t, await post('/auth/password/reset', { token, pass: NEW_PASS }), 200, 'reset (the weak attempt did not use the link up)'), { ok: true })
    t.equal((await notice).kind, 'password-changed', 'a notice of the change is mailed')

    const refresh = await post('/auth/token/refresh', { refreshToken: session.refreshToken })
    isError(t, refresh, 401, 'ERR_AUTH_SESSION_REVOKED', 'the refresh token from before the reset')
    t.equal(refresh.headers['www-authenticate'], 'Bearer')
    isError(t, await post('/auth/email/signin', { email, pass: PASS }), 401, 'ERR_AUTH_INVALID_CREDENTIALS', 'the old password')
    const signedIn = isOk(t, await post('/auth/email/signin', { email, pass: NEW_PASS }), 200, 'the new password')
    t.equal(signedIn.user.id, session.user.id)
  })

  t.test('a forged Host, X-Forwarded-Host or X-Forwarded-Proto does not move the link off appUrl', async (t) => {
    const forged: Record<string, string>[] = [
      { host: 'evil.example' },
      { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
      { host: 'evil.example:8443', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', forwarded: 'host=evil.example;proto=http', 'x-forwarded-for': '203.0.113.9' },
    ]
    for (const [i, headers] of forged.entries()) {
      const email = `forged-${i}@example.com`
      await auth.createUser({ email, name: 'Forged', pass: PASS })
      const message = await resetMail(t, email, headers)
      const link = linkIn(message)
      t.ok(link.href.startsWith(`${APP_URL}/`), `${Object.keys(headers).join(', ')}: the link starts with appUrl`)
      t.equal(link.origin, APP_URL)
      t.notMatch(message.text, /evil|http:\/\//, 'the forged host or scheme appears nowhere in the text')
      t.notMatch(message.html ?? '', /evil|http:\/\//, 'nor in the HTML')
    }
  })

  t.test('a GET and a HEAD of the link show a page without the token and leave the link usable', async (t) => {
    const email = 'scanned@example.com'
    await auth.createUser({ email, name: 'Scanned', pass: PASS })
    const message = await resetMail(t, email)
    const token = tokenIn(message)
    const link = linkIn(message)

    for (let i = 0; i < 2; i++) {
      const page = await send('GET', pathOf(link))
      t.equal(page.status, 200, 'GET: the page')
      t.match(page.headers['content-type'], /^text\/html\b/)
      t.equal(page.headers['referrer-policy'], 'no-referrer', 'the link never leaves in a Referer')
      const csp = page.headers['content-security-policy'] ?? ''
      t.match(csp, /default-src 'none'/, 'a CSP that loads nothing by default')
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1]
      t.ok(nonce, 'scripts by nonce only')
      t.ok(page.text.includes(`<script nonce="${nonce}">`), 'the inline script carries the nonce of the header')
      t.equal(page.headers['cache-control'], 'no-store')
      t.notOk(page.text.includes(token), 'the page does not contain the token')
      t.notOk(page.text.includes(hashOneTimeSecret(token)), 'nor its hash')
      t.match(page.text, /<form/, 'a form to POST the token with')
    }
    const head = await send('HEAD', pathOf(link))
    t.equal(head.status, 200, "HEAD: the page's status and headers")
    t.equal(head.headers['referrer-policy'], 'no-referrer', "HEAD: the page's headers")
    t.equal(head.text, '', 'HEAD: no body')
    t.notOk(JSON.stringify(head.headers).includes(token), 'HEAD: no token in the headers')

    t.same(isOk(t, await post('/auth/password/reset', { token, pass: NEW_PASS }), 200, 'the link still works after GET and HEAD'), { ok: true })
  })

  t.test('forgot: a known and an unknown address get the same status, headers and body', async (t) => {
    await auth.createUser({ email: 'known@example.com', name: 'Known', pass: PASS })
    const mail = mailer.next('known@example.com')
    const known = await post('/auth/password/forgot', { email: 'known@example.com' })
    const unknown = await post('/auth/password/forgot', { email: 'nobody@example.com' })
    const withoutDate = (reply: HttpReply) => Object.fromEntries(Object.entries(reply.headers).filter(([name]) => name !== 'date'))
    t.equal(known.status, 202)
    t.equal(unknown.status, known.status, 'the same status')
    t.same(withoutDate(unknown), withoutDate(known), 'the same headers, but for Date')
    t.equal(unknown.text, known.text, 'the same body')
    t.equal((await mail).kind, 'password-reset', 'yet the known address got its link')
    t.equal(mailer.last('nobody@example.com'), undefined, 'and the unknown one nothing')
  })

  t.test('used, expired, superseded and malformed reset tokens: 400, each with its own code', async (t) => {
    const email = 'tokens@example.com'
    await auth.createUser({ email, name: 'Tokens', pass: PASS })
    const codes = new Set<string>()
    const refused = async (token: unknown, code: string, what: string, path = '/auth/password/reset') => {
      const reply = await post(path, path === '/auth/password/reset' ? { token, pass: NEW_PASS } : { token })
      isError(t, reply, 400, code, what)
      codes.add(reply.json().code)
    }
    const first = tokenIn(await resetMail(t, email))
    const second = tokenIn(await resetMail(t, email))
    await refused(first, 'ERR_EMAIL_TOKEN_SUPERSEDED', 'the older of two links')
    isOk(t, await post('/auth/password/reset', { token: second, pass: NEW_PASS }), 200, 'the newer link')
    await refused(second, 'ERR_EMAIL_TOKEN_USED', 'a used link')
    const third = tokenIn(await resetMail(t, email))
    clock.skew = 31 * MINUTE
    try {
      await refused(third, 'ERR_EMAIL_TOKEN_EXPIRED', 'a link past its 30 minutes')
    } finally {
      clock.skew = 0
    }
    await refused('not-a-token', 'ERR_EMAIL_TOKEN_INVALID', 'a malformed token')
    await refused('A'.repeat(43), 'ERR_EMAIL_TOKEN_INVALID', 'a well-formed token nobody issued')
    await refused(third, 'ERR_EMAIL_TOKEN_INVALID', 'a reset token at the verification route', '/auth/email/verify')
    t.same([...codes].sort(), ['ERR_EMAIL_TOKEN_EXPIRED', 'ERR_EMAIL_TOKEN_INVALID', 'ERR_EMAIL_TOKEN_SUPERSEDED', 'ERR_EMAIL_TOKEN_USED'], 'four distinct codes')
    isError(t, await post('/auth/password/reset', { token: 'A'.repeat(129), pass: NEW_PASS }), 400, 'ERR_AUTH_INPUT_INVALID', 'a token longer than any')
    isError(t, await post('/auth/password/reset', { token: 42, pass: NEW_PASS }), 400, 'ERR_AUTH_INPUT_INVALID', 'a token that is not a string')
  })

  t.test('an email change over edit_profile waits for the link sent to the new address', async (t) => {
    const email = 'changer@example.com'
    const session = await verifiedUser(t, email)
    const toNew = mailer.next('changer@new.example')
    const toOld = mailer.next(email)
    const edited = isOk(t, await post(`/auth/edit_profile/${session.user.id}`, { email: 'Changer@New.Example', currentPass: PASS }, bearer(session.token)), 200, 'edit_profile')
    t.equal(edited.pendingEmail, 'Changer@New.Example', 'the answer names the pending address')
    t.equal(edited.user.email, email, 'the email is unchanged for now')
    const profile = isOk(t, await send('GET', `/auth/profile/${session.user.id}`, { headers: bearer(edited.token) }), 200, 'profile')
    t.equal(profile.user.email, email, 'storage still has the old address')
    isError(t, await post('/auth/email/signin', { email: 'changer@new.example', pass: PASS }), 401, 'ERR_AUTH_INVALID_CREDENTIALS', 'the new address before confirming')
    t.equal((await toOld).kind, 'email-change-notice', 'the old address is told')
    const confirm = await toNew
    t.equal(confirm.kind, 'email-change')
    const link = linkIn(confirm)
    t.equal(link.origin + link.pathname, `${APP_URL}/auth/email/verify`)

    const page = await send('GET', pathOf(link))
    t.equal(page.status, 200, 'the confirmation page')
    t.notOk(page.text.includes(tokenIn(confirm)), 'without the token')
    t.equal(page.headers['referrer-policy'], 'no-referrer')
    t.equal(isOk(t, await send('GET', `/auth/profile/${session.user.id}`, { headers: bearer(edited.token) }), 200, 'profile after the GET').user.email, email, 'a GET changes nothing')

    t.same(isOk(t, await post('/auth/email/verify', { token: tokenIn(confirm) }), 200, 'the link'), { ok: true })
    isError(t, await post('/auth/email/signin', { email, pass: PASS }), 401, 'ERR_AUTH_INVALID_CREDENTIALS', 'the old address after the change')
    const signedIn = isOk(t, await post('/auth/email/signin', { email: 'changer@new.example', pass: PASS }), 200, 'the new address')
    t.equal(signedIn.user.email, 'Changer@New.Example')
    t.equal((await auth.verify(signedIn.token)).email_verified, true, 'and it is verified')
    const refreshed = isOk(t, await post('/auth/token/refresh', { refreshToken: session.refreshToken }), 200, 'the session that asked for the change goes on')
    t.equal((await auth.verify(refreshed.token)).email, 'Changer@New.Example')
  })
}

for (const { name, start } of APPS) {
  t.test(name, async (t) => {
    const clock = { skew: 0 }
    const { auth, mailer } = await mailAuth(t, {
      emailVerification: 'required',
      accountEmail: { confirmationPages: true },
      now: () => Date.now() + clock.skew,
      rateLimit: ROOMY_LIMITS,
    })
    const app = await start(auth, { trustProxy: true })
    t.teardown(() => app.close())
    adapterCases(t, auth, mailer, app.url, clock)

    t.test('without confirmation pages: GET and HEAD of the reset path are not served and consume nothing', async (t) => {
      const { auth: plain, mailer: plainMailer } = await mailAuth(t, { emailVerification: 'off', rateLimit: ROOMY_LIMITS })
      const plainApp = await start(plain, { trustProxy: true })
      t.teardown(() => plainApp.close())
      await plain.createUser({ email: 'plain@example.com', name: 'Plain', pass: PASS })
      const mail = plainMailer.next('plain@example.com')
      t.equal((await httpCall(plainApp.url, 'POST', '/auth/password/forgot', { body: { email: 'plain@example.com' } })).status, 202)
      const message = await mail
      const link = linkIn(message)
      t.equal(link.origin + link.pathname, `${APP_URL}/reset-password`, "links open the app's own page")
      const token = tokenIn(message)
      for (const method of ['GET', 'HEAD']) {
        const reply = await httpCall(plainApp.url, method, `/auth/password/reset?token=${token}`)
        t.ok(reply.status === 405 || reply.status === 404, `${method} /auth/password/reset: 405 or 404 (got ${reply.status})`)
        if (reply.status === 405) t.equal(reply.headers.allow, 'POST', `${method}: Allow names POST`)
        t.notOk(reply.text.includes(token), `${method}: the token is not echoed`)
      }
      const reset = await httpCall(plainApp.url, 'POST', '/auth/password/reset', { body: { token, pass: NEW_PASS } })
      t.equal(reset.status, 200, 'the link still works')
      t.equal((await httpCall(plainApp.url, 'POST', '/auth/email/signin', { body: { email: 'plain@example.com', pass: NEW_PASS } })).status, 200)
    })
  })
}
