// Account mail from code: password reset, email verification (optional and
// required) and email change, each with its failure paths. HTTP, the other
// engines and a real SMTP round trip have their own files.
import t from 'tap'
import { AuthCore, isAuthError, type AuthEvents } from '../lib/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { memoryMailer } from '../plugins/testing/index.js'
import { errorOf } from './helpers/auth.js'
import { APP_URL, linkIn, mailAuth, NEW_PASS, PASS, tokenIn } from './helpers/email.js'
import { newSecret } from './helpers/keys.js'

const codeOf = async (promise: Promise<unknown>) => (await errorOf(promise)).code

t.test('options: a mailer needs appUrl, which must be https (or loopback http) with no query', async (t) => {
  const base = { secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }) }
  const problems = (options: object) => {
    try {
      new AuthCore({ ...base, ...options })
      return []
    } catch (err) {
      return isAuthError(err, 'ERR_AUTH_OPTIONS_INVALID') ? (err.details as { problems: string[] }).problems : [String(err)]
    }
  }
  t.match(problems({ mailer: memoryMailer() }), [/appUrl is required with a mailer/])
  t.match(problems({ mailer: memoryMailer(), appUrl: 'http://app.example.com' }), [/appUrl must use https/])
  t.match(problems({ mailer: memoryMailer(), appUrl: 'https://app.example.com/?next=x' }), [/query or a fragment/])
  t.same(problems({ mailer: memoryMailer(), appUrl: 'http://127.0.0.1:3000' }), [], 'http on loopback is fine')
  t.match(problems({ emailVerification: 'required' }), [/needs a mailer/])
  t.match(problems({ mailer: memoryMailer(), appUrl: APP_URL, accountEmail: { resetTtl: '2 days' } }), [/resetTtl must be from 1 minute to 1 day/])
  const auth = new AuthCore({ ...base })
  t.teardown(() => auth.close())
  t.equal((await errorOf(auth.requestPasswordReset({ email: 'a@example.com' }))).name, 'TypeError', 'without a mailer, a usage error')
})

t.test('password reset: the link resets once, ends every session, verifies the address and sends a notice', async (t) => {
  const { auth, mailer } = await mailAuth(t, { emailVerification: 'off' })
  const events: string[] = []
  for (const event of ['email:reset-requested', 'email:password-reset', 'email:verified'] as const) auth.on(event, () => void events.push(event))
  const { user, refreshToken, token: oldAccess } = await auth.signUp({ email: 'Ada@Example.com', name: 'Ada', pass: PASS })
  const other = await auth.signIn({ email: 'ada@example.com', pass: PASS })
  t.equal(user.emailVerified, false)
  t.equal((await auth.verify(oldAccess)).email_verified, false, 'tokens say the address is not verified')

  const mail = mailer.next('ada@example.com')
  await auth.requestPasswordReset({ email: 'ADA@example.com' })
  const message = await mail
  t.equal(message.kind, 'password-reset')
  t.equal(message.to, 'Ada@Example.com', 'sent to the address as the user typed it')
  const link = linkIn(message)
  t.equal(link.origin + link.pathname, `${APP_URL}/reset-password`, 'under appUrl, at the reset path')
  t.match(tokenIn(message), /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url')
  t.match(message.html, /href="https:\/\/app\.example\.com\/reset-password\?token=/, 'the HTML body links the same place')

  t.equal(await codeOf(auth.resetPassword({ token: tokenIn(message), pass: 'short' })), 'ERR_AUTH_PASSWORD_WEAK', 'policy-checked')
  const notice = mailer.next('ada@example.com')
  await auth.resetPassword({ token: tokenIn(message), pass: NEW_PASS })
  t.equal((await notice).kind, 'password-changed', 'a notice of the change')
  t.equal(await codeOf(auth.resetPassword({ token: tokenIn(message), pass: NEW_PASS })), 'ERR_EMAIL_TOKEN_USED', 'single use')

  t.equal(await codeOf(auth.refresh(refreshToken!)), 'ERR_AUTH_SESSION_REVOKED', 'the old refresh token is dead')
  t.equal(await codeOf(auth.refresh(other.refreshToken!)), 'ERR_AUTH_SESSION_REVOKED', 'and every other session')
  t.equal(await codeOf(auth.verify(oldAccess, { strict: true })), 'ERR_AUTH_TOKEN_REVOKED', 'the token version moved')
  t.equal(await codeOf(auth.signIn({ email: 'ada@example.com', pass: PASS })), 'ERR_AUTH_INVALID_CREDENTIALS', 'the old password is gone')
  const signedIn = await auth.signIn({ email: 'ada@example.com', pass: NEW_PASS })
  t.equal(signedIn.user.emailVerified, true, 'the link proved the address')
  t.equal((await auth.verify(signedIn.token)).email_verified, true)
  t.same(events, ['email:reset-requested', 'email:password-reset', 'email:verified'])
})

t.test('password reset: unknown and known addresses answer alike, and only a known one gets mail', async (t) => {
  const { auth, mailer } = await mailAuth(t)
  await auth.createUser({ email: 'known@example.com', name: 'Known', pass: PASS })
  const requested: AuthEvents['email:reset-requested'][] = []
  auth.on('email:reset-requested', (event) => void requested.push(event))
  t.equal(await auth.requestPasswordReset({ email: 'known@example.com' }), undefined)
  t.equal(await auth.requestPasswordReset({ email: 'nobody@example.com' }), undefined, 'the same answer for an unknown address')
  await mailer.next('known@example.com')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(mailer.messages.map((m) => m.to), ['known@example.com'], 'no mail for the unknown address')
  t.match(requested, [{ email: 'known@example.com', userId: String }, { email: 'nobody@example.com' }])
  t.notOk('userId' in requested[1]!, 'the event tells the two apart; the caller could not')
  t.equal(await codeOf(auth.requestPasswordReset({ email: 'not an address' })), 'ERR_AUTH_INPUT_INVALID', 'malformed input is refused for everyone alike')
  t.equal(await codeOf(auth.requestPasswordReset({ email: 'group:victim@example.com' })), 'ERR_AUTH_INPUT_INVALID', 'an address a mail library would rewrite is refused')
})

t.test('reset tokens: unknown, expired and superseded are told apart; a new request voids the old link', async (t) => {
  let now = Date.parse('2026-12-01T10:00:00Z')
  const { auth, mailer } = await mailAuth(t, { now: () => now })
  await auth.createUser({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const first = mailer.next()
  await auth.requestPasswordReset({ email: 'ada@example.com' })
  const firstToken = tokenIn(await first)
  const second = mailer.next()
  await auth.requestPasswordReset({ email: 'ada@example.com' })
  const secondToken = tokenIn(await second)
  t.not(firstToken, secondToken)
  t.equal(await codeOf(auth.resetPassword({ token: firstToken, pass: NEW_PASS })), 'ERR_EMAIL_TOKEN_SUPERSEDED', 'a newer link voids the older')
  t.equal(await codeOf(auth.resetPassword({ token: 'x'.repeat(43), pass: NEW_PASS })), 'ERR_EMAIL_TOKEN_INVALID', 'unknown')
  t.equal(await codeOf(auth.resetPassword({ token: 'not-a-token', pass: NEW_PASS })), 'ERR_EMAIL_TOKEN_INVALID', 'malformed')
  t.equal(await codeOf(auth.verifyEmail({ token: secondToken })), 'ERR_EMAIL_TOKEN_INVALID', 'a reset token does not verify an address')
  now += 31 * 60_000
  t.equal(await codeOf(auth.resetPassword({ token: secondToken, pass: NEW_PASS })), 'ERR_EMAIL_TOKEN_EXPIRED', 'reset links last 30 minutes')
})

t.test('reset: a link mailed to an address the user no longer has does nothing', async (t) => {
  const { auth, mailer } = await mailAuth(t, { emailVerification: 'off' })
  const { token } = await auth.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const mail = mailer.next()
  await auth.requestPasswordReset({ email: 'ada@example.com' })
  const reset = tokenIn(await mail)
  const claims = await auth.verify(token)
  await auth.editProfile(claims.sub, { email: 'ada@new.example', currentPass: PASS }, { as: claims })
  t.equal(await codeOf(auth.resetPassword({ token: reset, pass: NEW_PASS })), 'ERR_EMAIL_TOKEN_INVALID')
})

t.test('send limits: per recipient and per client address, answering alike when limited', async (t) => {
  const { auth, mailer } = await mailAuth(t)
  await auth.createUser({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const limited: string[] = []
  auth.on('rate-limit:exceeded', ({ scope }) => void limited.push(scope))
  for (let i = 0; i < 5; i++) t.equal(await auth.requestPasswordReset({ email: 'ada@example.com' }, { clientAddress: `192.0.2.${i}` }), undefined)
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(mailer.messages.length, 3, 'three mails to one address per window, from any client')
  t.same(limited, ['email:recipient', 'email:recipient'])
  limited.length = 0
  for (let i = 0; i < 7; i++) await auth.requestPasswordReset({ email: `someone-${i}@example.com` }, { clientAddress: '198.51.100.7' })
  t.same(limited, ['email:sender', 'email:sender'], 'five requests per client address, to any addresses')
})

t.test('verification optional: sign-up sends a link; using it verifies; tokens carry email_verified', async (t) => {
  const { auth, mailer } = await mailAuth(t)
  const verified: AuthEvents['email:verified'][] = []
  auth.on('email:verified', (event) => void verified.push(event))
  const mail = mailer.next('ada@example.com')
  const { user, token, refreshToken } = await auth.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  t.equal(user.emailVerified, false, 'signed in at once: verification is optional')
  const message = await mail
  t.equal(message.kind, 'email-verification')
  t.equal(linkIn(message).pathname, '/verify-email')
  await auth.verifyEmail({ token: tokenIn(message) })
  t.same(verified, [{ userId: user.id, email: 'ada@example.com' }])
  t.equal(await codeOf(auth.verifyEmail({ token: tokenIn(message) })), 'ERR_EMAIL_TOKEN_USED')
  const claims = await auth.verify(token)
  t.equal((await auth.profile(claims.sub, { as: claims })).emailVerified, true)
  const { token: fresh } = await auth.refresh(refreshToken!)
  t.equal((await auth.verify(fresh)).email_verified, true, 'a refreshed token says so; the session went on')

  const again = await auth.signUp({ email: 'bob@example.com', name: 'Bob', pass: PASS })
  await mailer.next('bob@example.com')
  const asked = mailer.next('bob@example.com')
  await auth.requestEmailVerification({ as: await auth.verify(again.token) })
  const second = await asked
  t.equal(await codeOf(auth.verifyEmail({ token: tokenIn(mailer.messages.find((m) => m.to === 'bob@example.com')!) })), 'ERR_EMAIL_TOKEN_SUPERSEDED', 'asking again voids the first link')
  await auth.verifyEmail({ token: tokenIn(second) })
  const sent = mailer.messages.length
  await auth.requestEmailVerification({ as: await auth.verify(again.token) })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(mailer.messages.length, sent, 'nothing is sent to an address already verified')
})

t.test('verification required: no tokens until verified, one fresh link per window, taken addresses answer alike', async (t) => {
  const { auth, mailer } = await mailAuth(t, { emailVerification: 'required' })
  const created: string[] = []
  auth.on('user:created', ({ user }) => void created.push(user.email))
  const first = mailer.next('ada@example.com')
  t.equal(await codeOf(auth.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })), 'ERR_AUTH_EMAIL_UNVERIFIED', 'sign-up answers with the code, not tokens')
  t.same(created, ['ada@example.com'], 'but the user exists')
  const link = await first

  const notice = mailer.next('ada@example.com')
  t.equal(await codeOf(auth.signUp({ email: 'ADA@example.com', name: 'Mallory', pass: 'another long passphrase' })), 'ERR_AUTH_EMAIL_UNVERIFIED', 'a taken address answers the same')
  t.equal((await notice).kind, 'sign-up-attempt', 'and its owner is told')

  t.equal(await codeOf(auth.signIn({ email: 'ada@example.com', pass: 'wrong passphrase here' })), 'ERR_AUTH_INVALID_CREDENTIALS', 'a wrong password says nothing about verification')
  const resend = mailer.next('ada@example.com')
  t.equal(await codeOf(auth.signIn({ email: 'ada@example.com', pass: PASS })), 'ERR_AUTH_EMAIL_UNVERIFIED')
  t.equal((await resend).kind, 'email-verification', 'a fresh link is sent')
  const count = mailer.messages.length
  t.equal(await codeOf(auth.signIn({ email: 'ada@example.com', pass: PASS })), 'ERR_AUTH_EMAIL_UNVERIFIED')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(mailer.messages.length, count, 'at most once per window')
  t.equal(await codeOf(auth.verifyEmail({ token: tokenIn(link) })), 'ERR_EMAIL_TOKEN_SUPERSEDED', 'the fresh link voided the first')
  await auth.verifyEmail({ token: tokenIn(mailer.last('ada@example.com')!) })
  const signedIn = await auth.signIn({ email: 'ada@example.com', pass: PASS })
  t.equal((await auth.verify(signedIn.token)).email_verified, true)
})

t.test('email change with verification on: nothing changes until the new address confirms; then other sessions end', async (t) => {
  const { auth, mailer } = await mailAuth(t)
  const { user, token, refreshToken } = await auth.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  await mailer.next('ada@example.com')
  const elsewhere = await auth.signIn({ email: 'ada@example.com', pass: PASS })
  const claims = await auth.verify(token)
  const toNew = mailer.next('ada@new.example')
  const toOld = mailer.next('ada@example.com')
  const edited = await auth.editProfile(user.id, { email: 'Ada@New.Example', name: 'Ada L.', currentPass: PASS }, { as: claims })
  t.equal(edited.user.email, 'ada@example.com', 'the email is unchanged for now')
  t.equal(edited.user.name, 'Ada L.', 'other fields change at once')
  t.equal(edited.pendingEmail, 'Ada@New.Example')
  const confirm = await toNew
  t.equal(confirm.kind, 'email-change')
  t.equal((await toOld).kind, 'email-change-notice', 'the old address is told')
  t.equal(await codeOf(auth.signIn({ email: 'ada@new.example', pass: PASS })), 'ERR_AUTH_INVALID_CREDENTIALS', 'the new address is not the account yet')
  await auth.refresh(elsewhere.refreshToken!).then((pair) => (elsewhere.refreshToken = pair.refreshToken))

  await auth.verifyEmail({ token: tokenIn(confirm) })
  const after = await auth.signIn({ email: 'ada@new.example', pass: PASS })
  t.equal(after.user.email, 'Ada@New.Example')
  t.equal(after.user.emailVerified, true)
  t.equal(await codeOf(auth.refresh(elsewhere.refreshToken!)), 'ERR_AUTH_SESSION_REVOKED', 'other sessions ended')
  t.ok(await auth.refresh(refreshToken!), 'the session that asked goes on')
  t.equal(await codeOf(auth.signIn({ email: 'ada@example.com', pass: PASS })), 'ERR_AUTH_INVALID_CREDENTIALS', 'the old address no longer signs in')
})

t.test('email change to a taken address sends nothing and answers alike', async (t) => {
  const { auth, mailer } = await mailAuth(t)
  await auth.createUser({ email: 'bob@example.com', name: 'Bob', pass: PASS })
  const { user, token } = await auth.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  await mailer.next('ada@example.com')
  const edited = await auth.editProfile(user.id, { email: 'bob@example.com', currentPass: PASS }, { as: await auth.verify(token) })
  t.equal(edited.pendingEmail, 'bob@example.com')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(mailer.messages.map((m) => [m.kind, m.to]), [['email-verification', 'ada@example.com'], ['email-change-notice', 'ada@example.com']],
    'no link to the taken address; the old address is told, as for a free one (so its arrival says nothing)')
  t.equal(await codeOf(auth.editProfile(user.id, { email: 'a:b@example.com', currentPass: PASS }, { as: await auth.verify(token) })), 'ERR_AUTH_INPUT_INVALID')
})

t.test('a failing mailer never fails the request; the failure is an error event', async (t) => {
  const { auth, mailer } = await mailAuth(t)
  await auth.createUser({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const errors: string[] = []
  auth.on('error', ({ event }) => void errors.push(event))
  mailer.failNext()
  const sent = mailer.next('ada@example.com', 10_000)
  await auth.requestPasswordReset({ email: 'ada@example.com' })
  t.equal((await sent).kind, 'password-reset', 'the queue retried after the failure')
  t.same(errors, [], 'a retried send is no error')
})

t.test('a reset ends a lockout someone else caused', async (t) => {
  const { auth, mailer } = await mailAuth(t, { rateLimit: { account: { dailyFailures: 2 } } })
  await auth.createUser({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  for (let i = 0; i < 2; i++) await errorOf(auth.signIn({ email: 'ada@example.com', pass: `wrong guess number ${i}` }))
  t.equal(await codeOf(auth.signIn({ email: 'ada@example.com', pass: PASS })), 'ERR_AUTH_ACCOUNT_LOCKED', 'locked for the day by the guesses')
  const mail = mailer.next()
  await auth.requestPasswordReset({ email: 'ada@example.com' })
  await auth.resetPassword({ token: tokenIn(await mail), pass: NEW_PASS })
  t.ok((await auth.signIn({ email: 'ada@example.com', pass: NEW_PASS })).token, 'the owner is back in at once')
})

t.test('an email change of case only is the same mailbox: applied at once, no link', async (t) => {
  const { auth, mailer } = await mailAuth(t)
  const { user, token } = await auth.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  await auth.verifyEmail({ token: tokenIn(await mailer.next('ada@example.com')) })
  const edited = await auth.editProfile(user.id, { email: 'Ada@Example.com', currentPass: PASS }, { as: await auth.verify(token) })
  t.equal(edited.user.email, 'Ada@Example.com')
  t.equal(edited.user.emailVerified, true, 'still verified')
  t.equal(edited.pendingEmail, undefined)
})

t.test('a pending email-change link dies when the account is secured: reset, password change, revokeSessions', async (t) => {
  for (const secure of ['reset', 'password change', 'revokeSessions'] as const) {
    const { auth, mailer } = await mailAuth(t)
    const { user, token } = await auth.signUp({ email: 'owner@example.com', name: 'Owner', pass: PASS })
    await mailer.next('owner@example.com')
    // Someone who knows the password asks to move the account to their mailbox.
    const change = mailer.next('attacker@evil.example')
    await auth.editProfile(user.id, { email: 'attacker@evil.example', currentPass: PASS }, { as: await auth.verify(token) })
    const changeToken = tokenIn(await change)
    // The owner, told by the notice, secures the account.
    if (secure === 'reset') {
      const reset = mailer.next('owner@example.com', 5000)
      await auth.requestPasswordReset({ email: 'owner@example.com' })
      let message = await reset
      while (message.kind !== 'password-reset') message = await mailer.next('owner@example.com')
      await auth.resetPassword({ token: tokenIn(message), pass: NEW_PASS })
    } else {
      const fresh = await auth.signIn({ email: 'owner@example.com', pass: PASS })
      const as = await auth.verify(fresh.token)
      if (secure === 'password change') await auth.editProfile(user.id, { pass: NEW_PASS, currentPass: PASS }, { as })
      else await auth.revokeSessions(user.id, { as })
    }
    t.equal(await codeOf(auth.verifyEmail({ token: changeToken })), 'ERR_EMAIL_TOKEN_INVALID', `after a ${secure}, the change link does nothing`)
    const owner = await auth.signIn({ email: 'owner@example.com', pass: secure === 'revokeSessions' ? PASS : NEW_PASS })
    t.equal(owner.user.email, 'owner@example.com', `after a ${secure}, the account keeps its address`)
  }
})

t.test('reset: an email change committed while the new password is hashed voids the link, inside the transaction', async (t) => {
  let hold: (() => void) | undefined
  let held: (() => void) | undefined
  const { fastHasher } = await import('./helpers/hashers.js')
  const slowHasher = {
    ...fastHasher,
    async hash(pass: string) {
      if (pass === NEW_PASS) {
        await new Promise<void>((resolve) => {
          hold = resolve
          held?.()
        })
      }
      return fastHasher.hash(pass)
    },
  }
  const { auth, mailer } = await mailAuth(t, { emailVerification: 'off', passwordPolicy: { hasher: slowHasher } })
  const { user, token } = await auth.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const mail = mailer.next()
  await auth.requestPasswordReset({ email: 'ada@example.com' })
  const reset = tokenIn(await mail)
  const hashing = new Promise<void>((resolve) => (held = resolve))
  const redeeming = errorOf(auth.resetPassword({ token: reset, pass: NEW_PASS }))
  await hashing
  // While the new password is being hashed, the address changes (verification is off: at once).
  await auth.editProfile(user.id, { email: 'ceo@corp.example', currentPass: PASS }, { as: await auth.verify(token) })
  hold!()
  t.equal((await redeeming).code, 'ERR_EMAIL_TOKEN_INVALID', 'the link was for the old address')
  const after = await auth.signIn({ email: 'ceo@corp.example', pass: PASS })
  t.equal(after.user.emailVerified, false, 'nobody proved the new address')
})

t.test('verification required: a session from before gets no new tokens until the address is proven', async (t) => {
  const storage = sqliteStorage({ filename: ':memory:' })
  const { auth: before, mailer: first } = await mailAuth(t, { storage, emailVerification: 'optional' })
  const verifyMail = first.next('ada@example.com')
  const { refreshToken } = await before.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const verifyToken = tokenIn(await verifyMail)
  // The app switches to 'required' (a new instance over the same storage).
  const { auth: after } = await mailAuth(t, { storage, emailVerification: 'required' })
  t.equal(await codeOf(after.refresh(refreshToken!)), 'ERR_AUTH_EMAIL_UNVERIFIED', 'refresh refused while unverified')
  await after.verifyEmail({ token: verifyToken })
  const pair = await after.refresh(refreshToken!)
  t.equal((await after.verify(pair.token)).email_verified, true, 'the same session goes on once the address is proven')
})
