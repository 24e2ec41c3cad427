/** Conformance: init() idempotence and concurrency, close(), and a database that goes away. */
import type { StoragePlugin } from '../../lib/index.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { announceSkip, describe, hasCode, newScope, newSession, newUser, rejectsWith, withPlugin } from './kit-helpers.js'
import { newCredential, newToken, PURPOSE } from './record-helpers.js'

/** Registers the lifecycle subtests. */
export function lifecycleCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('init() twice, and twice at once, is harmless', (t) => withPlugin(options, async (plugin) => {
    const user = await plugin.createUser(newUser('init-twice'))
    await plugin.init()
    await Promise.all([plugin.init(), plugin.init()])
    t.equal((await plugin.findUserById(user.id))?.id, user.id, 'data survives repeated init')
  }))

  if (options.sharedScope === false) {
    announceSkip(t, `${options.name}: cross-instance cases`, 'sharedScope is false, so three instances initialising one storage, and ' +
      "close() leaving open what the plugin was given, were not checked")
  } else {
    t.test('three instances initialising the same storage at once', async (t) => {
      const scope = newScope()
      const plugins: StoragePlugin[] = []
      try {
        plugins.push(await options.create(scope), await options.create(scope), await options.create(scope))
        await Promise.all(plugins.map((p) => p.init()))
        const [a, b] = plugins as [StoragePlugin, StoragePlugin]
        const user = await a.createUser(newUser('shared'))
        t.equal((await b.findUserByEmailKey(user.emailKey))?.id, user.id, 'a write through one is read through the other')
        await rejectsWith(t, b.createUser(newUser('shared-dup', { emailKey: user.emailKey })), 'ERR_AUTH_USER_EXISTS',
          'uniqueness holds across instances')
      } finally {
        for (const p of plugins) await p.close()
        await options.destroy?.(scope)
      }
    })

    t.test('close() releases only what the plugin opened: a plugin created for the same scope afterwards reaches the data', async (t) => {
      const scope = newScope()
      const first = await options.create(scope)
      let second: StoragePlugin | undefined
      try {
        await first.init()
        const user = await first.createUser(newUser('after-close'))
        await first.close()
        second = await options.create(scope)
        await second.init()
        t.equal((await second.findUserById(user.id))?.id, user.id, 'the data is reached through the next plugin')
      } catch (err) {
        t.fail(`rule: close() leaves open a connection, pool or database the plugin was given (the next plugin for the scope failed: ${describe(err)})`)
      } finally {
        await first.close()
        await second?.close()
        await options.destroy?.(scope)
      }
    })
  }

  t.test('close() is idempotent; later operations reject with ERR_AUTH_STORAGE_UNAVAILABLE', async (t) => {
    const scope = newScope()
    const plugin = await options.create(scope)
    try {
      await plugin.init()
      const user = await plugin.createUser(newUser('closing'))
      await plugin.close()
      await plugin.close()
      t.ok(true, 'close() twice resolves')
      await rejectsWith(t, plugin.findUserById(user.id), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'findUserById after close')
      await rejectsWith(t, plugin.createUser(newUser('closed')), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'createUser after close')
    } finally {
      await plugin.close()
      await options.destroy?.(scope)
    }
  })

  const breakConnection = options.breakConnection
  if (breakConnection === undefined) {
    announceSkip(t, `${options.name}: database-gone cases`, 'no breakConnection given, so operations after the database goes away were not checked')
    return
  }

  t.test('after the database goes away every operation rejects with ERR_AUTH_STORAGE_UNAVAILABLE', (t) => withUnhandledCheck(t, () =>
    withPlugin(options, async (plugin, scope) => {
      const user = await plugin.createUser(newUser('gone'))
      await plugin.findUserById(user.id)
      await plugin.findUserByEmailKey(user.emailKey)
      await breakConnection(plugin, scope)
      const operations: [string, () => Promise<unknown>][] = [
        ['findUserById', () => plugin.findUserById(user.id)],
        ['findUserByEmailKey', () => plugin.findUserByEmailKey(user.emailKey)],
        ['createUser', () => plugin.createUser(newUser('gone-2'))],
        ['updateUser', () => plugin.updateUser(user.id, { name: 'x' })],
        ['listUsers', () => plugin.listUsers({ limit: 10 })],
        ['deleteUser', () => plugin.deleteUser(user.id)],
        ['transaction', () => plugin.transaction((tx) => tx.findUserById(user.id))],
      ]
      const { sessions, rateLimits } = plugin
      if (sessions !== undefined) {
        operations.push(
          ['sessions.createSession', () => sessions.createSession(newSession(user.id, new Date()))],
          ['sessions.findSession', () => sessions.findSession('gone')],
          ['sessions.rotateSession', () => sessions.rotateSession('gone', newSession(user.id, new Date()), new Date())],
          ['sessions.revokeUserSessions', () => sessions.revokeUserSessions(user.id, new Date())],
        )
      }
      if (rateLimits !== undefined) {
        operations.push(['rateLimits.hit', () => rateLimits.hit('gone', 60, Date.now())], ['rateLimits.peek', () => rateLimits.peek('gone', Date.now())])
      }
      const { oneTimeTokens, credentials } = plugin
      if (oneTimeTokens !== undefined) {
        operations.push(
          ['oneTimeTokens.createToken', () => oneTimeTokens.createToken(newToken(user.id, new Date()), { revokeOthers: true })],
          ['oneTimeTokens.consumeToken', () => oneTimeTokens.consumeToken(PURPOSE, 'gone', new Date())],
          ['oneTimeTokens.lookupToken', () => oneTimeTokens.lookupToken(PURPOSE, 'gone')],
        )
      }
      if (credentials !== undefined) {
        operations.push(
          ['credentials.createCredential', () => credentials.createCredential(newCredential(user.id))],
          ['credentials.updateCredential', () => credentials.updateCredential(user.id, 'gone', 0, { data: {} })],
        )
      }
      for (const [name, run] of operations) {
        const err = await rejectsWith(t, run(), 'ERR_AUTH_STORAGE_UNAVAILABLE', name)
        const cause = (err as { cause?: unknown } | undefined)?.cause
        t.ok(cause !== undefined && !hasCode(cause, 'ERR_AUTH_STORAGE_UNAVAILABLE'), `${name}: the driver error is the cause (${describe(cause)})`)
      }
    })))

  t.test('the database going away mid-operation: every call settles with a result or an AuthError', (t) => withUnhandledCheck(t, () =>
    withPlugin(options, async (plugin, scope) => {
      const users = []
      for (let i = 0; i < 5; i++) users.push(await plugin.createUser(newUser(`mid-${i}`)))
      const inFlight = users.flatMap((u, i) => [
        plugin.findUserById(u.id), plugin.findUserByEmailKey(u.emailKey), plugin.updateUser(u.id, { bumpTokenVersion: true }),
        plugin.createUser(newUser(`mid-new-${i}`)), plugin.listUsers({ limit: 3 }),
        plugin.transaction(async (tx) => { await tx.createUser(newUser(`mid-tx-${i}`)); return tx.deleteUser(u.id) }),
        ...(plugin.sessions === undefined ? [] : [plugin.sessions.createSession(newSession(u.id, new Date()))]),
        ...(plugin.rateLimits === undefined ? [] : [plugin.rateLimits.hit(`mid-${i}`, 60, Date.now())]),
        ...(plugin.oneTimeTokens === undefined ? [] : [plugin.oneTimeTokens.createToken(newToken(u.id, new Date()), { revokeOthers: true })]),
        ...(plugin.credentials === undefined ? [] : [plugin.credentials.createCredential(newCredential(u.id))]),
      ])
      // Observed before the break, so an early rejection is never "unhandled" by the kit itself.
      const settling = Promise.allSettled(inFlight)
      await breakConnection(plugin, scope)
      const settled = await settling
      const raw = settled.filter((r) => r.status === 'rejected' && !(r.reason instanceof Error && r.reason.name === 'AuthError'))
      t.same(raw.map((r) => describe((r as PromiseRejectedResult).reason)), [], 'no raw driver error escaped')
    })))
}

// Fails the test if anything rejects unhandled while `fn` runs (or just after).
async function withUnhandledCheck(t: ConformanceTest, fn: () => Promise<void>): Promise<void> {
  const unhandled: unknown[] = []
  const listener = (reason: unknown) => { unhandled.push(reason) }
  process.on('unhandledRejection', listener)
  try {
    await fn()
    await new Promise((resolve) => setTimeout(resolve, 100))
  } finally {
    process.off('unhandledRejection', listener)
  }
  t.same(unhandled.map(describe), [], 'no unhandled rejection')
}
