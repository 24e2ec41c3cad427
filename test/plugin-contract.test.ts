// The plugin contract's rules: declarations are checked at construction,
// clashes name both owners, requirements are checked at ready(), setup and
// close run in order, and a plugin acts only within what it declared.
import t from 'tap'
import { AuthCore, AuthError, errorCodeInfo, type AuthPlugin, type PluginContext, type StoragePlugin } from '../lib/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { errorOf } from './helpers/auth.js'
import { newSecret } from './helpers/keys.js'

const make = (options: Partial<ConstructorParameters<typeof AuthCore>[0]> = {}) =>
  new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), ...options })

const thrown = (fn: () => unknown): Error & { code?: string } => {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw')
}

const ok = async () => ({ ok: true })

t.test('two routes with one method and path: a start-up error naming both owners', async (t) => {
  const a: AuthPlugin = { name: 'alpha', routes: [{ method: 'GET', path: '/things/:id', handler: ok }] }
  const b: AuthPlugin = { name: 'beta', routes: [{ method: 'GET', path: '/things/:thing', handler: ok }] }
  const clash = thrown(() => make({ plugins: [a, b] }))
  t.equal(clash.code, 'ERR_AUTH_PLUGIN_CONFLICT')
  t.match(clash.message, /GET \/things\/:thing.*'alpha' and 'beta'/)
  const core = thrown(() => make({ plugins: [{ name: 'gamma', routes: [{ method: 'GET', path: '/profiles', handler: ok }] }] }))
  t.match(core.message, /'core' and 'gamma'/, "a core route's owner is named too")
  const basic = thrown(() => make({ plugins: [{ name: 'delta', routes: [{ method: 'POST', path: '/email/signin', handler: ok }] }] }))
  t.match(basic.message, /'basic' and 'delta'/, "the basic method's routes are declarations like any other")
  t.ok(make({ plugins: [{ name: 'epsilon', routes: [{ method: 'POST', path: '/things/:id', handler: ok }] }, a] }), 'another method on the same path is fine')
})

t.test('malformed declarations are TypeErrors at construction', async (t) => {
  const bad: [string, AuthPlugin][] = [
    ['a name with capitals', { name: 'Bad' }],
    ['a dot segment', { name: 'p', routes: [{ method: 'GET', path: '/a/../b', handler: ok }] }],
    ['an unknown method', { name: 'p', routes: [{ method: 'TRACE' as never, path: '/a', handler: ok }] }],
    ['an undeclared scope', { name: 'p', routes: [{ method: 'GET', path: '/a', rateLimit: 'nope', handler: ok }] }],
    ['a core error namespace', { name: 'p', errors: { ERR_AUTH_MINE: { status: 400, message: 'm', description: 'd' } } }],
    ['an error without docs', { name: 'p', errors: { ERR_P_THING: { status: 400, message: 'm', description: '' } } }],
    ['an event outside the namespace', { name: 'p', events: ['user:created'] }],
    ['a hook not named before*', { name: 'p', hooks: ['afterThing'] }],
    ['an unknown requirement', { name: 'p', requires: ['telepathy' as never] }],
    ['an input schema that does not compile', { name: 'p', routes: [{ method: 'POST', path: '/a', input: { type: 'object', bogus: 1 }, handler: ok }] }],
  ]
  for (const [what, plugin] of bad) t.type(thrown(() => make({ plugins: [plugin] })), TypeError, what)
  t.equal(thrown(() => make({ plugins: [{ name: 'p' }, { name: 'p' }] })).code, 'ERR_AUTH_OPTIONS_INVALID', 'two plugins of one name')
  t.equal(thrown(() => make({ plugins: [{ name: 'basic' }] })).code, 'ERR_AUTH_PLUGIN_CONFLICT', "a plugin named like a method")
  t.equal(thrown(() => make({ plugins: [{ name: 'p', hooks: ['beforeSignIn'] }] })).code, 'ERR_AUTH_PLUGIN_CONFLICT', 'a core hook name')
})

t.test('error codes: registered with status and docs, conflicts refused', async (t) => {
  const errors = { ERR_WIDGET_BROKEN: { status: 409, message: 'The widget is broken', description: 'A widget broke; fix it.' } }
  make({ plugins: [{ name: 'widgets', errors }] })
  t.same(errorCodeInfo('ERR_WIDGET_BROKEN'), { status: 409, message: 'The widget is broken', description: 'A widget broke; fix it.', owner: 'widgets' })
  t.ok(make({ plugins: [{ name: 'widgets', errors }] }), 'the same declaration again (a second instance) is fine')
  t.equal(thrown(() => make({ plugins: [{ name: 'gadgets', errors }] })).code, 'ERR_AUTH_PLUGIN_CONFLICT', 'another owner of the code')
  const err = new AuthError('ERR_WIDGET_BROKEN' as never)
  t.same([err.status, err.message], [409, 'The widget is broken'])
  t.throws(() => new AuthError('ERR_NOBODY_DECLARED' as never), TypeError, 'an unknown code is a bug, not an error response')
})

t.test('rate-limit scopes: namespaced defaults, tuned by rateLimit.scopes, unknown names refused', async (t) => {
  const hits: string[] = []
  const limited: AuthPlugin = {
    name: 'limited',
    rateLimits: { ping: { limit: 2, window: '1 minute' } },
    routes: [{ method: 'POST', path: '/ping', rateLimit: 'ping', input: { type: 'object', additionalProperties: false, properties: {} }, handler: async () => (hits.push('ping'), { pong: true }) }],
  }
  const auth = make({ plugins: [limited] })
  t.teardown(() => auth.close())
  const ping = (body: unknown) => auth.handle(new Request('http://x/auth/ping', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), { clientAddress: '203.0.113.1' })
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await ping({})).status)
  t.same(statuses, [200, 200, 429], 'the default: 2 per minute')
  t.equal((await ping({ junk: 1 })).status, 400, 'an invalid body is refused, not counted')
  t.equal(hits.length, 2)
  const tuned = make({ plugins: [limited], rateLimit: { scopes: { 'limited:ping': { limit: 1 } } } })
  t.teardown(() => tuned.close())
  const tunedPing = () => tuned.handle(new Request('http://x/auth/ping', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), { clientAddress: '203.0.113.1' })
  t.same([(await tunedPing()).status, (await tunedPing()).status], [200, 429], 'tuned to 1')
  t.equal(thrown(() => make({ plugins: [limited], rateLimit: { scopes: { 'limited:pong': { limit: 1 } } } })).code, 'ERR_AUTH_OPTIONS_INVALID')
})

t.test('events and hooks: a plugin emits only what it declared; its hooks are accepted only when it is configured', async (t) => {
  let context: PluginContext | undefined
  const plugin: AuthPlugin = { name: 'noisy', events: ['noisy:thing'], hooks: ['beforeNoise'], setup: (ctx) => void (context = ctx) }
  const auth = make({ plugins: [plugin] })
  t.teardown(() => auth.close())
  await auth.ready()
  const seen: unknown[] = []
  auth.on('noisy:thing' as never, (payload: unknown) => void seen.push(payload))
  context!.emit('noisy:thing' as never, { n: 1 } as never)
  t.same(seen, [{ n: 1 }])
  t.throws(() => context!.emit('user:created', {} as never), TypeError, 'a core event is not the plugin\'s to emit')
  auth.hook('beforeNoise' as never, (() => { throw new AuthError('ERR_AUTH_FORBIDDEN') }) as never)
  t.equal((await errorOf(context!.runHook('beforeNoise' as never, {} as never))).code, 'ERR_AUTH_FORBIDDEN', 'a veto')
  t.throws(() => make().hook('beforeNoise' as never, () => undefined), TypeError, 'without the plugin the hook name is unknown')
})

t.test('requirements are checked at ready(), naming the plugin and what is missing', async (t) => {
  const inner = sqliteStorage({ filename: ':memory:' })
  const bare: StoragePlugin = {
    name: 'bare', init: () => inner.init(), close: () => inner.close(), transaction: (fn) => inner.transaction(fn),
    createUser: (u) => inner.createUser(u), findUserById: (id) => inner.findUserById(id), findUserByEmailKey: (k) => inner.findUserByEmailKey(k),
    updateUser: (id, p) => inner.updateUser(id, p), listUsers: (q) => inner.listUsers(q), deleteUser: (id) => inner.deleteUser(id),
  }
  const needy = new AuthCore({ secret: newSecret(), storage: bare, plugins: [{ name: 'needy', requires: ['oneTimeTokens', 'credentials'] }] })
  const err = await errorOf(needy.ready())
  t.equal(err.code, 'ERR_AUTH_STORAGE_INCOMPLETE')
  t.match(err.message, /'needy' needs storage\.oneTimeTokens and storage\.credentials.*'bare'/)
  await needy.close()
  const mailless = make({ plugins: [{ name: 'mailing', requires: ['mailer'] }] })
  t.equal((await errorOf(mailless.ready())).code, 'ERR_AUTH_OPTIONS_INVALID')
  await mailless.close()
  const fine = make({ plugins: [{ name: 'fine', requires: ['sessions', 'oneTimeTokens', 'credentials'] }] })
  await fine.ready()
  await fine.close()
})

t.test('setup runs in order with each plugin\'s own context; close runs in reverse', async (t) => {
  const calls: string[] = []
  const plugin = (name: string): AuthPlugin => ({
    name,
    setup: (ctx) => void calls.push(`setup ${name} ${typeof ctx.signIn} ${ctx.defaultRole}`),
    close: () => void calls.push(`close ${name}`),
  })
  const auth = make({ plugins: [plugin('one'), plugin('two'), plugin('three')] })
  await auth.ready()
  await auth.close()
  t.same(calls, ['setup one function user', 'setup two function user', 'setup three function user', 'close three', 'close two', 'close one'])
})

t.test('a route handler gets the call and its owner\'s context; a thrown non-AuthError is a plain 500', async (t) => {
  const errors: unknown[] = []
  const plugin: AuthPlugin = {
    name: 'echo',
    routes: [
      { method: 'GET', path: '/echo/:word', auth: 'bearer', handler: async (call, ctx) => ({ word: call.params.word, sub: call.claims?.sub, q: call.query.get('q'), role: ctx.defaultRole }) },
      { method: 'GET', path: '/echo/boom/now', handler: async () => { throw new Error('secret detail') } },
    ],
  }
  const auth = make({ plugins: [plugin] })
  t.teardown(() => auth.close())
  auth.on('error', (e) => void errors.push(e))
  const { token, user } = await auth.signUp({ email: 'e@example.com', name: 'E', pass: 'correct horse battery staple' })
  const get = (path: string, headers: Record<string, string> = {}) => auth.handle(new Request(`http://x/auth${path}`, { headers }))
  const answer = await get('/echo/h%C3%A9llo?q=1', { authorization: `Bearer ${token}` })
  t.same(await answer.json(), { word: 'héllo', sub: user.id, q: '1', role: 'user' })
  t.equal((await get('/echo/x')).status, 401, 'bearer required')
  const boom = await get('/echo/boom/now')
  t.equal(boom.status, 500)
  t.notMatch(await boom.text(), /secret detail/, 'no internal detail leaks')
  t.equal(errors.length, 1, 'reported as an error event')
  const wrongMethod = await auth.handle(new Request('http://x/auth/echo/x', { method: 'POST' }))
  t.same([wrongMethod.status, wrongMethod.headers.get('allow')], [405, 'GET, HEAD'])
})

t.test('review fixes: reserved names, a registry untouched by a failed construction, frozen declarations', async (t) => {
  t.type(thrown(() => make({ plugins: [{ name: 'user', events: ['user:signed-in'] }] })), TypeError, "'user' is reserved: no plugin forges core events")
  const errors = { ERR_SHARED_THING: { status: 400, message: 'Shared', description: 'A code two plugins want.' } }
  const clash: AuthPlugin[] = [
    { name: 'aaa', errors, routes: [{ method: 'GET', path: '/x', handler: ok }] },
    { name: 'bbb', routes: [{ method: 'GET', path: '/x', handler: ok }] },
  ]
  t.equal(thrown(() => make({ plugins: clash })).code, 'ERR_AUTH_PLUGIN_CONFLICT')
  t.equal(errorCodeInfo('ERR_SHARED_THING'), undefined, 'the failed construction registered nothing')
  t.ok(make({ plugins: [{ name: 'ccc', errors }] }), 'so another plugin may declare the code')
  const route = { method: 'GET' as const, path: '/secret', auth: 'bearer' as const, handler: async () => ({ secret: true }) }
  const auth = make({ plugins: [{ name: 'frozen', routes: [route] }] })
  t.teardown(() => auth.close())
  ;(route as { auth?: string }).auth = undefined
  t.equal((await auth.handle(new Request('http://x/auth/secret'))).status, 401, 'changing the declaration afterwards changes nothing')
})

t.test('review fixes: a literal route does not hide a parameter route; control characters in parameters are refused', async (t) => {
  const auth = make({ plugins: [{ name: 'me', routes: [{ method: 'DELETE', path: '/profile/me', auth: 'bearer', handler: ok }] }] })
  t.teardown(() => auth.close())
  const { token } = await auth.signUp({ email: 'm@example.com', name: 'M', pass: 'correct horse battery staple' })
  const get = await auth.handle(new Request('http://x/auth/profile/me', { headers: { authorization: `Bearer ${token}` } }))
  t.equal(get.status, 404, "GET /profile/me reaches the core's /profile/:id (an id 'me' that looks missing), not a 405")
  const wrong = await auth.handle(new Request('http://x/auth/profile/me', { method: 'PUT', headers: { authorization: `Bearer ${token}` } }))
  t.same([wrong.status, wrong.headers.get('allow')], [405, 'DELETE, GET, HEAD'], '405 lists every method of every matching route')
  const control = await auth.handle(new Request('http://x/auth/profile/a%00b', { headers: { authorization: `Bearer ${token}` } }))
  t.equal(control.status, 400)
})

t.test("review fixes: bearer routes are strict; hooks only in setup, taken back when it fails; signIn speaks for the plugin's own method", async (t) => {
  let context: PluginContext | undefined
  let fail = true
  let hookRuns = 0
  const plugin: AuthPlugin = {
    name: 'strict',
    routes: [{ method: 'GET', path: '/mine', auth: 'bearer', handler: ok }],
    setup(ctx) {
      context = ctx
      ctx.hook('beforeSignUp', () => void hookRuns++)
      if (fail) throw new Error('not yet')
    },
  }
  const auth = make({ plugins: [plugin] })
  t.teardown(() => auth.close())
  await errorOf(auth.ready())
  fail = false
  await auth.ready()
  const { token, user } = await auth.signUp({ email: 's@example.com', name: 'S', pass: 'correct horse battery staple' })
  t.equal(hookRuns, 1, 'the failed attempt took its hook back: it runs once, not twice')
  t.throws(() => context!.hook('beforeSignIn', () => undefined), TypeError, 'no hooks after ready()')
  const admin = await auth.createUser({ email: 'a@example.com', name: 'A', pass: 'correct horse battery staple', role: 'admin' })
  const adminClaims = await auth.verify((await auth.signIn({ email: 'a@example.com', pass: 'correct horse battery staple' })).token)
  const mine = () => auth.handle(new Request('http://x/auth/mine', { headers: { authorization: `Bearer ${token}` } }))
  t.equal((await mine()).status, 200)
  await auth.setDisabled(user.id, true, { as: adminClaims })
  t.equal((await mine()).status, 401, "a disabled user's token is refused at once on a plugin route")
  const record = (await context!.storage.findUserById(admin.id))!
  t.throws(() => context!.signIn(record, 'basic'), TypeError, "a plugin cannot sign in as another method")
  t.ok((await context!.signIn(record, 'strict:link')).token, "'<plugin>:<what>' is its own")
})

t.test('an offered store must be whole: ready() names its missing operations', async (t) => {
  const inner = sqliteStorage({ filename: ':memory:' })
  const partial = {
    name: 'partial', init: () => inner.init(), close: () => inner.close(), transaction: inner.transaction.bind(inner),
    createUser: inner.createUser.bind(inner), findUserById: inner.findUserById.bind(inner), findUserByEmailKey: inner.findUserByEmailKey.bind(inner),
    updateUser: inner.updateUser.bind(inner), listUsers: inner.listUsers.bind(inner), deleteUser: inner.deleteUser.bind(inner),
    oneTimeTokens: { ...inner.oneTimeTokens, consumeToken: undefined },
  } as unknown as StoragePlugin
  const auth = new AuthCore({ secret: newSecret(), storage: partial })
  const err = await errorOf(auth.ready())
  t.equal(err.code, 'ERR_AUTH_STORAGE_INCOMPLETE')
  t.match(err.message, /oneTimeTokens\.consumeToken/)
  await auth.close()
})

t.test('context additions from account mail: keyedHash, limitSubject, updateUser, sendMail', async (t) => {
  const seen = new Map<string, PluginContext>()
  const plugin = (name: string): AuthPlugin => ({
    name,
    rateLimits: { attempt: { limit: 2, window: 60 } },
    setup: (ctx) => void seen.set(name, ctx),
  })
  const auth = make({ plugins: [plugin('one'), plugin('two')], rateLimit: { enabled: false } })
  t.teardown(() => auth.close())
  await auth.ready()
  const one = seen.get('one')!
  const two = seen.get('two')!

  t.equal(one.keyedHash('12345678'), one.keyedHash('12345678'), 'keyedHash: the same value, the same hash')
  t.not(one.keyedHash('12345678'), two.keyedHash('12345678'), 'namespaced: another plugin gets another hash')
  t.match(one.keyedHash('12345678'), /^[A-Za-z0-9_-]{43}$/)
  const other = make({ plugins: [plugin('one')] })
  t.teardown(() => other.close())
  await other.ready()
  t.not(seen.get('one')!.keyedHash('12345678'), one.keyedHash('12345678'), 'keyed: another signing key, another hash')

  await one.limitSubject('attempt', 'ada@example.com')
  await one.limitSubject('attempt', 'ada@example.com')
  await one.limitSubject('attempt', 'ada@example.com')
  t.pass('rate limiting off: an ordinary subject limit does not count')
  await one.limitSubject('attempt', 'bob@example.com', { always: true })
  await one.limitSubject('attempt', 'bob@example.com', { always: true })
  t.equal((await errorOf(one.limitSubject('attempt', 'bob@example.com', { always: true }))).code, 'ERR_AUTH_RATE_LIMITED', 'with always, it counts anyway')
  t.equal((await errorOf(one.limitSubject('nope', 'x'))).name, 'TypeError', 'only its own scopes')

  t.throws(() => one.sendMail({ to: 'a@example.com', kind: 'k', subject: 's', text: 't', idempotencyKey: 'i' }), TypeError, 'sendMail without a mailer is a usage error')

  const { user, refreshToken } = await auth.signUp({ email: 'ada@example.com', name: 'Ada', pass: 'correct horse battery staple' })
  const stored = await one.storage.findUserById(user.id)
  const rolledBack = await errorOf(one.updateUser(user.id, { name: 'Changed' }, {
    endSessions: true,
    atomicWith: async () => {
      throw new AuthError('ERR_AUTH_FORBIDDEN')
    },
  }))
  t.equal(rolledBack.code, 'ERR_AUTH_FORBIDDEN', 'atomicWith vetoes the change')
  t.same(await one.storage.findUserById(user.id), stored, 'and nothing was written')
  const rotated = await auth.refresh(refreshToken!)
  t.ok(rotated.refreshToken, 'nor any session ended')
  const updated = await one.updateUser(user.id, { name: 'Changed' }, { endSessions: true })
  t.equal(updated!.name, 'Changed')
  t.equal(updated!.tokenVersion, stored!.tokenVersion + 1, 'endSessions moves the token version')
  t.equal((await errorOf(auth.refresh(rotated.refreshToken!))).code, 'ERR_AUTH_SESSION_REVOKED', 'and ends the sessions')
  t.equal(await one.updateUser('no-such-user', { name: 'x' }), undefined, 'a missing user: undefined')
})

t.test('HEAD is answered wherever GET is, without a body; Allow names it', async (t) => {
  const auth = make({
    plugins: [{
      name: 'pages',
      routes: [
        { method: 'GET', path: '/page', handler: async () => new Response('<p>hello</p>', { headers: { 'content-type': 'text/html', 'x-page': 'yes' } }) },
        { method: 'POST', path: '/page', handler: ok },
        { method: 'POST', path: '/action', handler: ok },
      ],
    }],
  })
  t.teardown(() => auth.close())
  const head = await auth.handle(new Request('http://localhost/auth/page', { method: 'HEAD' }))
  t.equal(head.status, 200)
  t.equal(head.headers.get('x-page'), 'yes', "GET's headers")
  t.equal(await head.text(), '', 'no body')
  const put = await auth.handle(new Request('http://localhost/auth/page', { method: 'PUT' }))
  t.equal(put.status, 405)
  t.same(put.headers.get('allow')!.split(', ').sort(), ['GET', 'HEAD', 'POST'])
  const postOnly = await auth.handle(new Request('http://localhost/auth/action', { method: 'HEAD' }))
  t.equal(postOnly.status, 405, 'no HEAD where there is no GET')
  t.equal(postOnly.headers.get('allow'), 'POST')
})

t.test('seal and unseal: bound to the key and the label; any change is refused', async (t) => {
  let ctx: PluginContext | undefined
  const auth = make({ plugins: [{ name: 'vault', setup: (c) => void (ctx = c) }] })
  t.teardown(() => auth.close())
  await auth.ready()
  const sealed = ctx!.seal('provider secret', 'vault:tokens')
  t.not(sealed, ctx!.seal('provider secret', 'vault:tokens'), 'a fresh nonce each time')
  t.notMatch(sealed, /provider secret/)
  t.equal(ctx!.unseal(sealed, 'vault:tokens'), 'provider secret')
  const refused = (value: string, label = 'vault:tokens', on: PluginContext = ctx!) => {
    try {
      on.unseal(value, label)
      return 'opened'
    } catch (err) {
      return (err as { code?: string }).code
    }
  }
  t.equal(refused(sealed, 'vault:other'), 'ERR_AUTH_KEY_INVALID', 'another label')
  const [v, nonce, body, tag] = sealed.split('.')
  const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1)
  t.equal(refused([v, nonce, flip(body!), tag].join('.')), 'ERR_AUTH_KEY_INVALID', 'an altered ciphertext')
  t.equal(refused([v, nonce, body, tag!.slice(0, 6)].join('.')), 'ERR_AUTH_KEY_INVALID', 'a truncated tag')
  t.equal(refused('not sealed'), 'ERR_AUTH_KEY_INVALID', 'not a sealed value')
  let other: PluginContext | undefined
  const elsewhere = make({ plugins: [{ name: 'vault', setup: (c) => void (other = c) }] })
  t.teardown(() => elsewhere.close())
  await elsewhere.ready()
  t.equal(refused(sealed, 'vault:tokens', other!), 'ERR_AUTH_KEY_INVALID', 'another signing key')
})
