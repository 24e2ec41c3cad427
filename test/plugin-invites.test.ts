// A third-party plugin (examples/plugin/invites.ts) through the whole
// contract, over HTTP on all four adapters: its routes, its rate-limit
// scope, its error codes, its events and hook, its records in both generic
// stores, and a sign-in through the core's session machinery.
import t, { type Test } from 'tap'
import { AuthCore, AuthError, isAuthError, type AuthEvents, type StoragePlugin } from '../lib/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { invitesPlugin } from '../examples/plugin/invites.js'
import { APPS } from './helpers/apps.js'
import { errorOf } from './helpers/auth.js'
import { eachEngine } from './helpers/engines.js'
import { newSecret } from './helpers/keys.js'

const PASS = 'correct horse battery staple'

async function setup(t: Test, storage: StoragePlugin = sqliteStorage({ filename: ':memory:' }), closeSignUp = true) {
  const invites = invitesPlugin({ closeSignUp })
  const auth = new AuthCore({ secret: newSecret(), storage, plugins: [invites], rateLimit: { scopes: { 'invites:redeem': { limit: 5, window: 60 } } } })
  t.teardown(() => auth.close())
  await auth.ready()
  const admin = await auth.createUser({ email: 'admin@example.com', name: 'Admin', pass: PASS, role: 'admin' })
  const adminToken = (await auth.signIn({ email: 'admin@example.com', pass: PASS })).token
  return { auth, invites, admin, adminToken }
}

for (const { name, start } of APPS) {
  t.test(`over HTTP on ${name}`, async (t) => {
    const { auth, adminToken } = await setup(t)
    const events: { event: keyof AuthEvents; payload: unknown }[] = []
    auth.on('invites:created', (payload) => void events.push({ event: 'invites:created', payload }))
    auth.on('invites:redeemed', (payload) => void events.push({ event: 'invites:redeemed', payload: payload.userId }))
    const app = await start(auth, { trustProxy: true })
    t.teardown(() => app.close())
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
      return { status: response.status, body: (await response.json()) as Record<string, any> }
    }
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

    const signUp = await post('/auth/email/signup', { email: 'walk-in@example.com', name: 'Walk In', pass: PASS })
    t.same([signUp.status, signUp.body], [403, { error: 'Sign-up is by invitation only', code: 'ERR_INVITE_REQUIRED' }], 'ordinary sign-up is closed by the plugin\'s hook')

    t.equal((await post('/auth/invites', {})).status, 401, 'making an invite needs a token')
    const created = await post('/auth/invites', { email: 'ada@example.com' }, bearer(adminToken))
    t.equal(created.status, 200, 'an admin makes an invite')
    t.match(created.body, { code: /^[A-Za-z0-9_-]{43}$/, inviteId: String, expiresAt: String })
    t.same((await post('/auth/invites', { email: 'x@example.com', role: 'admin' }, bearer(adminToken))).body.code, 'ERR_AUTH_INPUT_INVALID', 'the route\'s schema refuses unknown fields')

    const wrongEmail = await post('/auth/invites/redeem', { code: created.body.code, email: 'eve@example.com', name: 'Eve', pass: PASS })
    t.same(wrongEmail.body, { error: 'This invite code is not valid', code: 'ERR_INVITE_INVALID' }, 'a code made for another address')
    t.equal(wrongEmail.status, 400)
    const redeemed = await post('/auth/invites/redeem', { code: created.body.code, email: 'ada@example.com', name: 'Ada', pass: PASS })
    t.equal(redeemed.status, 200, 'redeemed by the invited address (the wrong one did not burn it)')
    t.match(redeemed.body, { user: { email: 'ada@example.com', name: 'Ada', role: 'user' }, token: String, refreshToken: String })
    const claims = await auth.verify(redeemed.body.token)
    t.equal(claims.sub, redeemed.body.user.id, 'a working access token')
    const refreshed = await post('/auth/token/refresh', { refreshToken: redeemed.body.refreshToken })
    t.equal(refreshed.status, 200, 'and a working refresh session')
    t.equal((await post('/auth/invites/redeem', { code: created.body.code, email: 'ada@example.com', name: 'Ada', pass: PASS })).body.code, 'ERR_INVITE_INVALID', 'single use')

    const userToken = redeemed.body.token as string
    t.equal((await post('/auth/invites', {}, bearer(userToken))).status, 403, 'a user who is not an inviter is refused')

    // The plugin's scope: 5 per minute here (tuned through rateLimit.scopes), per client address.
    const from = { 'x-forwarded-for': '203.0.113.50' }
    const codes: number[] = []
    for (let i = 0; i < 7; i++) codes.push((await post('/auth/invites/redeem', { code: 'x'.repeat(43), email: `n${i}@example.com`, name: 'N', pass: PASS }, from)).status)
    t.same(codes, [400, 400, 400, 400, 400, 429, 429], 'the redeem scope limits per address')
    t.equal((await post('/auth/invites/redeem', { code: 'x'.repeat(43), email: 'n@example.com', name: 'N', pass: PASS }, { 'x-forwarded-for': '203.0.113.51' })).status, 400, 'another address has its own budget')
    t.equal((await post('/auth/invites/redeem', { junk: true }, from)).body.code, 'ERR_AUTH_INPUT_INVALID', 'invalid bodies are refused before the limit is charged')

    t.same(events.map((e) => e.event), ['invites:created', 'invites:redeemed'], 'the plugin\'s events, typed and emitted after the work')
  })
}

eachEngine(t, 'both generic stores: redeeming is one transaction, and single-use under concurrency', async (t, engine) => {
  const storage = engine.storage(t)
  const { auth, invites, admin } = await setup(t, storage, false)
  const { code, inviteId } = await invites.create({ by: admin.id })
  // An email already taken: the user cannot be made, so the code must survive.
  await auth.signUp({ email: 'taken@example.com', name: 'Taken', pass: PASS })
  t.equal((await errorOf(invites.redeem({ code, email: 'taken@example.com', name: 'T', pass: PASS }))).code, 'ERR_AUTH_USER_EXISTS')
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) => invites.redeem({ code, email: `racer${i}@example.com`, name: 'Racer', pass: PASS }, `198.51.100.${i}`)),
  )
  const won = results.filter((r) => r.status === 'fulfilled')
  t.equal(won.length, 1, 'exactly one of 20 concurrent redemptions wins')
  t.ok(results.filter((r) => r.status === 'rejected').every((r) => isAuthError((r as PromiseRejectedResult).reason, 'ERR_INVITE_INVALID')), 'the rest: ERR_INVITE_INVALID')
  const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof invites.redeem>>>).value.user
  const records = await storage.credentials!.listCredentials(winner.id, 'invites:redeemed')
  t.same(records.map((r) => [r.subject, r.data]), [[inviteId, { by: admin.id }]], 'who invited whom, in the credentials store')
  const losers = (await Promise.all(Array.from({ length: 20 }, (_, i) => storage.findUserByEmailKey(`racer${i}@example.com`)))).filter(Boolean)
  t.equal(losers.length, 1, 'no user was left behind by a losing redemption')
})

t.test('the hook vetoes a redemption, and the code stays usable', async (t) => {
  const { auth, invites, admin } = await setup(t, undefined, false)
  auth.hook('beforeInviteRedeem', ({ email }) => {
    if (email.endsWith('@blocked.example')) throw new Error('not from there')
  })
  const { code } = await invites.create({ by: admin.id })
  t.equal((await errorOf(invites.redeem({ code, email: 'x@blocked.example', name: 'X', pass: PASS }))).code, 'ERR_AUTH_HOOK_FAILED')
  t.ok((await invites.redeem({ code, email: 'ok@example.com', name: 'Ok', pass: PASS })).token)
})

t.test("a redemption meets the app's beforeSignUp rules and is announced as user:created", async (t) => {
  const { auth, invites, admin } = await setup(t)
  const created: string[] = []
  auth.on('user:created', ({ user, via }) => void created.push(`${user.email} via ${via}`))
  auth.hook('beforeSignUp', ({ input }) => {
    if (input.email.endsWith('@blocked.example')) throw new AuthError('ERR_AUTH_INPUT_INVALID', 'That domain cannot sign up')
  })
  const { code } = await invites.create({ by: admin.id })
  t.equal((await errorOf(invites.redeem({ code, email: 'x@blocked.example', name: 'X', pass: PASS }))).code, 'ERR_AUTH_INPUT_INVALID', "the app's rule applies")
  await invites.redeem({ code, email: 'welcome@example.com', name: 'Welcome', pass: PASS })
  t.same(created, ['welcome@example.com via invites'], 'the new user is announced, once, with the plugin as its way in')
  t.equal((await errorOf(auth.signUp({ email: 'walk-in@example.com', name: 'W', pass: PASS }))).code, 'ERR_INVITE_REQUIRED', 'while ordinary sign-up stays closed')
})

eachEngine(t, 'purgeExpired deletes used and expired one-time tokens with their payloads', async (t, engine) => {
  const storage = engine.storage(t)
  const { auth, invites, admin } = await setup(t, storage, false)
  const used = await invites.create({ by: admin.id, email: 'used@example.com' })
  const kept = await invites.create({ by: admin.id })
  await invites.redeem({ code: used.code, email: 'used@example.com', name: 'Used', pass: PASS })
  const purged = await auth.purgeExpired()
  t.equal(purged.oneTimeTokens, 1, 'the redeemed invite (and the address it held) is gone')
  t.type(purged.sessions, 'number')
  t.ok((await invites.redeem({ code: kept.code, email: 'kept@example.com', name: 'Kept', pass: PASS })).token, 'an unused invite survives the purge')
})

t.test('a demoted admin cannot make invites with the token they had', async (t) => {
  const { auth, adminToken } = await setup(t)
  const second = await auth.createUser({ email: 'boss@example.com', name: 'Boss', pass: PASS, role: 'admin' })
  const bossClaims = await auth.verify((await auth.signIn({ email: 'boss@example.com', pass: PASS })).token)
  const admin = await auth.verify(adminToken)
  await auth.setRole(admin.sub, 'user', { as: bossClaims })
  const response = await auth.handle(new Request('http://x/auth/invites', {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: '{}',
  }))
  t.equal(response.status, 401, 'the role change ended the token: the strict bearer check refuses it')
  t.ok(second.id)
})
