// Account mail on every storage engine (SQLite, PostgreSQL, MariaDB): a
// reset, one link redeemed by many at once, a newer link voiding the older
// ones (also when they are asked for at once), and what a link changed still
// being there for a fresh AuthCore on the same database.
import t, { type Test } from 'tap'
import { AuthCore, type AuthCoreOptions, type StoragePlugin } from '../lib/index.js'
import { memoryMailer } from '../plugins/testing/index.js'
import { errorOf } from './helpers/auth.js'
import { eachEngine, type Engine } from './helpers/engines.js'
import { APP_URL, fastHasher, mailAuth, NEW_PASS, PASS, tokenIn } from './helpers/email.js'
import { newSecret } from './helpers/keys.js'

const RACERS = 50

const codeOf = async (promise: Promise<unknown>) => (await errorOf(promise)).code

/** The codes of the rejected, and the indexes of the fulfilled. */
function outcomes(results: PromiseSettledResult<unknown>[]) {
  const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []))
  const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code ?? String(r.reason)] : []))
  return { won, codes }
}

eachEngine(t, 'password reset: the link sets the password, ends the sessions and proves the address', async (t, engine) => {
  const { auth, mailer } = await mailAuth(t, { storage: engine.storage(t), emailVerification: 'off' })
  const { user, refreshToken } = await auth.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const mail = mailer.next('ada@example.com')
  await auth.requestPasswordReset({ email: 'ada@example.com' })
  const token = tokenIn(await mail)
  await auth.resetPassword({ token, pass: NEW_PASS })
  t.equal(await codeOf(auth.resetPassword({ token, pass: NEW_PASS })), 'ERR_EMAIL_TOKEN_USED', 'once only')
  t.equal(await codeOf(auth.refresh(refreshToken!)), 'ERR_AUTH_SESSION_REVOKED', 'the old session ended')
  t.equal(await codeOf(auth.signIn({ email: 'ada@example.com', pass: PASS })), 'ERR_AUTH_INVALID_CREDENTIALS', 'the old password is gone')
  const signedIn = await auth.signIn({ email: 'ada@example.com', pass: NEW_PASS })
  t.equal(signedIn.user.id, user.id)
  t.equal(signedIn.user.emailVerified, true, 'the link proved the address')
})

eachEngine(t, `${RACERS} resets at once with one link: one wins, the others are told it was used`, async (t, engine) => {
  const { auth, mailer } = await mailAuth(t, { storage: engine.storage(t) })
  const resets: string[] = []
  auth.on('email:password-reset', ({ userId }) => void resets.push(userId))
  const user = await auth.createUser({ email: 'race@example.com', name: 'Race', pass: PASS })
  const mail = mailer.next('race@example.com')
  await auth.requestPasswordReset({ email: 'race@example.com' })
  const token = tokenIn(await mail)

  const passFor = (i: number) => `racing passphrase number ${i}`
  const { won, codes } = outcomes(await Promise.allSettled(Array.from({ length: RACERS }, (_, i) => auth.resetPassword({ token, pass: passFor(i) }))))
  t.equal(won.length, 1, 'exactly one reset succeeds')
  t.same([...new Set(codes)], ['ERR_EMAIL_TOKEN_USED'], 'every other one is ERR_EMAIL_TOKEN_USED (the fast hasher never fills the queue)')
  t.equal(codes.length, RACERS - 1)
  const winner = won[0]!
  t.equal((await auth.signIn({ email: 'race@example.com', pass: passFor(winner) })).user.id, user.id, "the winner's password is the one set")
  const loser = winner === 0 ? 1 : 0
  t.equal(await codeOf(auth.signIn({ email: 'race@example.com', pass: passFor(loser) })), 'ERR_AUTH_INVALID_CREDENTIALS', "a loser's password is not")
  t.same(resets, [user.id], 'one password-reset event')
  await auth.close()
  t.equal(mailer.messages.filter((m) => m.kind === 'password-changed').length, 1, 'one notice mailed')
})

eachEngine(t, `${RACERS} verifications at once with one link: one wins`, async (t, engine) => {
  const { auth, mailer } = await mailAuth(t, { storage: engine.storage(t) })
  const verified: string[] = []
  auth.on('email:verified', ({ userId }) => void verified.push(userId))
  const mail = mailer.next('verify@example.com')
  const { user } = await auth.signUp({ email: 'verify@example.com', name: 'Verify', pass: PASS })
  const token = tokenIn(await mail)
  const { won, codes } = outcomes(await Promise.allSettled(Array.from({ length: RACERS }, () => auth.verifyEmail({ token }))))
  t.equal(won.length, 1, 'exactly one verification succeeds')
  t.same([...new Set(codes)], ['ERR_EMAIL_TOKEN_USED'], 'every other one is ERR_EMAIL_TOKEN_USED')
  t.same(verified, [user.id], 'one email:verified event')
  t.equal((await auth.signIn({ email: 'verify@example.com', pass: PASS })).user.emailVerified, true)
})

eachEngine(t, 'a newer reset link voids the older ones, also when they are asked for at once', async (t, engine) => {
  const { auth, mailer } = await mailAuth(t, { storage: engine.storage(t) })
  await auth.createUser({ email: 'one@example.com', name: 'One', pass: PASS })
  const first = mailer.next('one@example.com')
  await auth.requestPasswordReset({ email: 'one@example.com' })
  const older = tokenIn(await first)
  const second = mailer.next('one@example.com')
  await auth.requestPasswordReset({ email: 'one@example.com' })
  const newer = tokenIn(await second)
  t.equal(await codeOf(auth.resetPassword({ token: older, pass: NEW_PASS })), 'ERR_EMAIL_TOKEN_SUPERSEDED', 'the older link')
  await auth.resetPassword({ token: newer, pass: NEW_PASS })
  t.ok(await auth.signIn({ email: 'one@example.com', pass: NEW_PASS }), 'the newer link worked')

  // Three at once (the per-recipient limit) for a user with no token yet: the creates race.
  const failures: unknown[] = []
  auth.on('error', ({ error }) => void failures.push(error))
  await auth.createUser({ email: 'many@example.com', name: 'Many', pass: PASS })
  await Promise.all(Array.from({ length: 3 }, () => auth.requestPasswordReset({ email: 'many@example.com' })))
  const sent = () => mailer.messages.filter((m) => m.to === 'many@example.com')
  // Bounded: three messages, or a failure reported instead of one.
  for (let waited = 0; sent().length + failures.length < 3 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(failures.map(String), [], 'no request failed in the background')
  const tokens = sent().map(tokenIn)
  t.equal(tokens.length, 3, 'three links sent')
  const results = []
  for (const token of tokens) results.push(await auth.resetPassword({ token, pass: NEW_PASS }).then(() => 'ok', (err: { code?: string }) => err.code))
  t.same(results.filter((r) => r === 'ok'), ['ok'], `one link of the three works (${results.join(', ')})`)
  t.same(results.filter((r) => r !== 'ok'), ['ERR_EMAIL_TOKEN_SUPERSEDED', 'ERR_EMAIL_TOKEN_SUPERSEDED'], 'the others are superseded')
})

eachEngine(t, 'a link used while newer ones are being made either works or is superseded, never a storage failure', async (t, engine) => {
  const { auth, mailer } = await mailAuth(t, { storage: engine.storage(t) })
  const failures: unknown[] = []
  auth.on('error', ({ error }) => void failures.push(error))
  const seen = new Set<string>()
  // The interleaving is the engine's to choose: many rounds, each a user of its own.
  for (let round = 0; round < 50; round++) {
    const email = `round-${round}@example.com`
    await auth.createUser({ email, name: 'Round', pass: PASS })
    const first = mailer.next(email)
    await auth.requestPasswordReset({ email })
    const token = tokenIn(await first)
    // Two newer links are made after the answers, while the first is being used.
    await Promise.all([auth.requestPasswordReset({ email }), auth.requestPasswordReset({ email })])
    const outcome = await auth.resetPassword({ token, pass: NEW_PASS }).then(() => 'ok', (err: { code?: string; cause?: { code?: string } }) =>
      err.code === 'ERR_EMAIL_TOKEN_SUPERSEDED' ? err.code : `${err.code} (${err.cause?.code ?? 'no cause'})`)
    seen.add(outcome)
  }
  await auth.close()
  t.same([...seen].filter((o) => o !== 'ok' && o !== 'ERR_EMAIL_TOKEN_SUPERSEDED'), [], 'every redemption worked or was superseded')
  t.same(failures.map(String), [], 'and every newer link was made')
})

/** A storage plugin of its own connections over the tables of `scope`, which the test removes when it ends. */
function sharedStorage(t: Test, engine: Engine, scope: string): () => StoragePlugin {
  t.teardown(() => engine.destroy(scope))
  return () => engine.create({ ...engine.connection(scope), tables: engine.tables(scope) })
}

eachEngine(t, 'a verified address, an applied email change and an open link outlive the AuthCore that made them', async (t, engine) => {
  const open = sharedStorage(t, engine, 'persist')
  const options = (mailer = memoryMailer()): AuthCoreOptions => ({
    secret: newSecret(), storage: open(), mailer, appUrl: APP_URL, passwordPolicy: { hasher: fastHasher },
  })
  const mailer = memoryMailer()
  const first = new AuthCore(options(mailer))
  t.teardown(() => first.close())

  const adaMail = mailer.next('ada@example.com')
  await first.signUp({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  await first.verifyEmail({ token: tokenIn(await adaMail) })

  const bobMail = mailer.next('bob@example.com')
  const bob = await first.signUp({ email: 'bob@example.com', name: 'Bob', pass: PASS })
  await bobMail
  const change = mailer.next('bob@new.example')
  const edited = await first.editProfile(bob.user.id, { email: 'Bob@New.Example', currentPass: PASS }, { as: await first.verify(bob.token) })
  t.equal(edited.pendingEmail, 'Bob@New.Example')
  await first.verifyEmail({ token: tokenIn(await change) })

  await first.createUser({ email: 'cyd@example.com', name: 'Cyd', pass: PASS })
  const reset = mailer.next('cyd@example.com')
  await first.requestPasswordReset({ email: 'cyd@example.com' })
  const cydToken = tokenIn(await reset)
  await first.close()

  const second = new AuthCore(options())
  t.teardown(() => second.close())
  const ada = await second.signIn({ email: 'ada@example.com', pass: PASS })
  t.equal(ada.user.emailVerified, true, 'the verified flag was stored')
  t.equal((await second.verify(ada.token)).email_verified, true, 'and the new instance puts it in tokens')
  const moved = await second.signIn({ email: 'bob@new.example', pass: PASS })
  t.equal(moved.user.id, bob.user.id, 'the email change was stored')
  t.equal(moved.user.email, 'Bob@New.Example')
  t.equal(moved.user.emailVerified, true)
  t.equal(await codeOf(second.signIn({ email: 'bob@example.com', pass: PASS })), 'ERR_AUTH_INVALID_CREDENTIALS', 'the old address is gone')
  await second.resetPassword({ token: cydToken, pass: NEW_PASS })
  t.equal((await second.signIn({ email: 'cyd@example.com', pass: NEW_PASS })).user.emailVerified, true, 'a link mailed by the first instance works on the second')
  t.equal(await codeOf(second.resetPassword({ token: cydToken, pass: NEW_PASS })), 'ERR_EMAIL_TOKEN_USED')
})
