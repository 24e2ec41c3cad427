// Access tokens carry `amr`: the method the session's user signed in with,
// remembered by the session and its successors (issue 13). The OAuth and
// email-link sign-ins are checked in their own files.
import t from 'tap'
import { AuthCore, type AuthPlugin, type PluginContext, type StoragePlugin } from '../lib/index.js'
import { memoryStorage } from '../examples/storage-memory/memory-storage.js'
import { makeAuth } from './helpers/auth.js'
import { eachEngine } from './helpers/engines.js'
import { fastHasher } from './helpers/hashers.js'
import { newSecret } from './helpers/keys.js'

const pass = 'a long enough passphrase'
const amrOf = async (auth: AuthCore, token: string) => (await auth.verify(token)).amr

eachEngine(t, "a password sign-up and sign-in carry amr ['basic'], and every refresh keeps it", async (t, engine) => {
  const storage = engine.storage(t)
  const auth = await makeAuth(t, { storage, passwordPolicy: { hasher: fastHasher } })
  const up = await auth.signUp({ email: 'amr@example.com', name: 'Amr', pass })
  t.same(await amrOf(auth, up.token), ['basic'], 'sign-up')
  const signedIn = await auth.signIn({ email: 'amr@example.com', pass })
  t.same(await amrOf(auth, signedIn.token), ['basic'], 'sign-in')
  const family = signedIn.refreshToken!.slice(0, 36)
  t.equal((await storage.sessions!.findSession(family))?.method, 'basic', 'the session remembers the method')
  const first = await auth.refresh(signedIn.refreshToken!)
  t.same(await amrOf(auth, first.token), ['basic'], 'after a refresh')
  const second = await auth.refresh(first.refreshToken)
  t.same(await amrOf(auth, second.token), ['basic'], 'after a second refresh')
  t.equal((await storage.sessions!.findSession(second.refreshToken.slice(0, 36)))?.method, 'basic', 'the successor is stored with it')
})

t.test('the grace-window retry of a refresh carries the same amr', async (t) => {
  const clock = { now: Date.now() }
  const auth = await makeAuth(t, { now: () => clock.now, refreshGraceWindow: 5 })
  const { refreshToken } = await auth.signUp({ email: 'grace@example.com', name: 'G', pass })
  await auth.refresh(refreshToken!)
  clock.now += 2_000
  const retried = await auth.refresh(refreshToken!)
  t.same(await amrOf(auth, retried.token), ['basic'])
})

t.test('verified claims: amr is a frozen array; another issuer\'s malformed amr is refused', async (t) => {
  const secret = newSecret()
  const auth = await makeAuth(t, { secret })
  const { token } = await auth.signUp({ email: 'frozen@example.com', name: 'F', pass })
  const claims = await auth.verify(token)
  t.ok(Object.isFrozen(claims.amr), 'frozen: the verified-token cache shares it')
  const { SignJWT } = await import('jose')
  const key = new TextEncoder().encode(secret)
  const mint = (amr: unknown) => new SignJWT({ sub: 'x', amr }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(key)
  t.same((await auth.verify(await mint(['pwd', 'otp']))).amr, ['pwd', 'otp'], 'an array of strings from another issuer is kept')
  for (const bad of ['pwd', [1], [null], { 0: 'pwd' }]) {
    await t.rejects(auth.verify(await mint(bad)), { code: 'ERR_AUTH_TOKEN_CLAIM_INVALID', message: /'amr'/ }, `refused: ${JSON.stringify(bad)}`)
  }
})

t.test('without session storage the sign-in token still carries amr', async (t) => {
  const { sessions: _sessions, ...withoutSessions }: StoragePlugin = memoryStorage()
  const auth = await makeAuth(t, { storage: withoutSessions })
  const up = await auth.signUp({ email: 'nosess@example.com', name: 'N', pass })
  t.equal(up.refreshToken, undefined, 'no refresh token')
  t.same(await amrOf(auth, up.token), ['basic'], 'sign-up')
  t.same(await amrOf(auth, (await auth.signIn({ email: 'nosess@example.com', pass })).token), ['basic'], 'sign-in')
})

t.test('a session stored without a method (before sessions kept it): its refreshed tokens carry no amr', async (t) => {
  const base = memoryStorage()
  const sessions = base.sessions!
  // Rows as an older AuthCore wrote them: no method.
  const legacy: StoragePlugin = { ...base, sessions: { ...sessions, createSession: (s) => sessions.createSession({ ...s, method: undefined }) } }
  const auth = await makeAuth(t, { storage: legacy })
  const up = await auth.signUp({ email: 'legacy@example.com', name: 'L', pass })
  t.same(await amrOf(auth, up.token), ['basic'], 'the sign-in token itself names the method')
  t.equal((await sessions.findSession(up.refreshToken!.slice(0, 36)))?.method, null, 'the stored session has none')
  const next = await auth.refresh(up.refreshToken!)
  const claims = await auth.verify(next.token)
  t.notOk('amr' in claims, 'no amr claim after a refresh')
  t.equal((await sessions.findSession(next.refreshToken.slice(0, 36)))?.method, null, 'nor does the successor')
})

t.test("editProfile's fresh token carries the amr of the caller's session family, none once it has ended", async (t) => {
  const auth = await makeAuth(t)
  const up = await auth.signUp({ email: 'edit@example.com', name: 'E', pass })
  const claims = await auth.verify(up.token)
  const edited = await auth.editProfile(claims.sub, { name: 'Edited' }, { as: claims })
  t.same(await amrOf(auth, edited.token), ['basic'], 'the family is live: its method')
  const refreshed = await auth.refresh(up.refreshToken!)
  const later = await auth.verify(refreshed.token)
  const again = await auth.editProfile(claims.sub, { name: 'Again' }, { as: later })
  t.same(await amrOf(auth, again.token), ['basic'], 'after a rotation too (the family\'s first session is kept)')
  // A second device signs out at once: its family's first session is revoked.
  const device = await auth.signIn({ email: 'edit@example.com', pass })
  await auth.signOut(device.refreshToken!)
  const ended = await auth.editProfile(claims.sub, { name: 'Ended' }, { as: await auth.verify(device.token) })
  t.notOk('amr' in (await auth.verify(ended.token)), 'that family ended: no amr')
})

t.test("a plugin's context.signIn writes its method, at most 64 characters", async (t) => {
  let context: PluginContext | undefined
  const plugin: AuthPlugin = { name: 'strict', setup(ctx) { context = ctx } }
  const storage = memoryStorage()
  const auth = new AuthCore({ secret: newSecret(), storage, plugins: [plugin] })
  t.teardown(() => auth.close())
  await auth.ready()
  const created = await auth.createUser({ email: 'p@example.com', name: 'P', pass })
  const record = (await storage.findUserById(created.id))!
  t.same(await amrOf(auth, (await context!.signIn(record)).token), ['strict'], "the plugin's name by default")
  const longest = `strict:${'x'.repeat(57)}`
  t.same(await amrOf(auth, (await context!.signIn(record, longest)).token), [longest], '64 characters')
  t.throws(() => context!.signIn(record, `${longest}x`), TypeError, '65 characters: a usage error')
})
