import t from 'tap'
import { AuthCore, AuthError, HOOK_NAMES, isAuthError } from '../lib/index.js'
import { EventHub, type ListenerErrorEvent } from '../lib/events.js'
import { HookRunner } from '../lib/hooks.js'
import { newSecret } from './helpers/keys.js'

interface TestEvents {
  error: ListenerErrorEvent
  'user:created': { user: { id: string } }
}

t.test('a throwing or rejecting listener breaks nothing and is reported', async (t) => {
  const hub = new EventHub<TestEvents>()
  const seen: string[] = []
  const errors: ListenerErrorEvent[] = []
  hub.on('error', (e) => errors.push(e))
  hub.on('user:created', () => {
    throw new Error('sync boom')
  })
  hub.on('user:created', async () => {
    throw new Error('async boom')
  })
  hub.on('user:created', ({ user }) => seen.push(user.id))
  t.doesNotThrow(() => hub.emit('user:created', { user: { id: 'u1' } }), 'emit never throws')
  t.same(seen, ['u1'], 'later listeners still run')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(errors.map((e) => [e.event, (e.error as Error).message]), [['user:created', 'sync boom'], ['user:created', 'async boom']])
})

t.test('payloads are frozen: a listener cannot change what others see', async (t) => {
  const hub = new EventHub<TestEvents>()
  hub.on('user:created', (payload) => {
    t.throws(() => {
      ;(payload as { user: unknown }).user = null
    }, TypeError)
  })
  hub.emit('user:created', { user: { id: 'u1' } })
})

t.test('without an error listener a failure is a process warning without its details', async (t) => {
  const hub = new EventHub<TestEvents>()
  const warnings: Error[] = []
  const onWarning = (w: Error) => warnings.push(w)
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))
  hub.on('user:created', () => {
    throw new Error('secret-detail alice@example.com')
  })
  hub.emit('user:created', { user: { id: 'u1' } })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(warnings.length, 1)
  t.match(warnings[0]!.message, /a failure in 'user:created'/)
  t.notMatch(warnings[0]!.message, /secret-detail|alice/)
})

t.test('a failing error listener does not loop or throw', async (t) => {
  const hub = new EventHub<TestEvents>()
  let calls = 0
  hub.on('error', () => {
    calls++
    throw new Error('error listener fails too')
  })
  hub.on('user:created', () => {
    throw new Error('first')
  })
  t.doesNotThrow(() => hub.emit('user:created', { user: { id: 'u1' } }))
  t.equal(calls, 1)
})

t.test('off removes a listener; the same function added twice runs once', async (t) => {
  const hub = new EventHub<TestEvents>()
  let calls = 0
  const listener = () => calls++
  hub.on('user:created', listener)
  hub.on('user:created', listener)
  hub.emit('user:created', { user: { id: 'a' } })
  hub.off('user:created', listener)
  hub.emit('user:created', { user: { id: 'b' } })
  t.equal(calls, 1)
  t.throws(() => hub.on('user:created', 'nope' as never), TypeError)
})

t.test('hooks: closed list, run in order, AuthError vetoes, other errors are wrapped', async (t) => {
  const hooks = new HookRunner()
  t.throws(() => hooks.add('afterEverything' as never, () => undefined), TypeError, 'unknown name rejected at registration')
  t.throws(() => hooks.add('beforeSignUp', null as never), TypeError)
  const order: number[] = []
  hooks.add('beforeSignUp', () => void order.push(1))
  hooks.add('beforeSignUp', async (ctx) => {
    order.push(2)
    ctx.input.name = 'Adjusted'
  })
  const ctx = { input: { email: 'a@example.com', name: 'Original', role: 'user' } }
  await hooks.run('beforeSignUp', ctx)
  t.same(order, [1, 2])
  t.equal(ctx.input.name, 'Adjusted', 'a hook may adjust the name')

  hooks.add('beforeSignIn', () => {
    throw new AuthError('ERR_AUTH_INPUT_INVALID', 'This domain is not allowed')
  })
  let after = false
  hooks.add('beforeSignIn', () => void (after = true))
  const veto = await hooks.run('beforeSignIn', { input: { email: 'x@blocked.example' } }).catch((e: unknown) => e)
  t.ok(isAuthError(veto, 'ERR_AUTH_INPUT_INVALID'), 'the AuthError vetoes as it is')
  t.equal((veto as Error).message, 'This domain is not allowed')
  t.notOk(after, 'later hooks do not run after a veto')

  hooks.add('beforeEditProfile', () => {
    throw new RangeError('bug in app code')
  })
  const wrapped = await hooks.run('beforeEditProfile', { userId: 'u', changes: {} }).catch((e: unknown) => e)
  t.ok(isAuthError(wrapped, 'ERR_AUTH_HOOK_FAILED'))
  t.type((wrapped as Error).cause, RangeError, 'original kept as cause')
})

t.test('AuthCore exposes on/off and hook; only the documented hook names', async (t) => {
  const auth = new AuthCore({ secret: newSecret() })
  t.same([...HOOK_NAMES], ['beforeSignUp', 'beforeSignIn', 'beforeEditProfile'])
  t.throws(() => auth.hook('beforeEverything' as never, () => undefined), TypeError)
  const listener = () => undefined
  t.equal(auth.on('error', listener), auth)
  t.equal(auth.off('error', listener), auth)
  t.notOk('emit' in auth, 'emit is not public')
})
