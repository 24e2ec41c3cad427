import { AuthError } from './errors.js'
import type { AuthEvents, EventHub } from './events.js'
import type { HookRunner } from './hooks.js'
import type { CoreContext } from './operations/context.js'
import type { ResolvedOptions } from './options-validate.js'
import { PasswordService } from './passwords/service.js'
import type { AuthPlugin, CredentialsMethod } from './plugin-types.js'
import { Limiter, type LimiterStores } from './rate-limit/limiter.js'
import type { RateLimitStore } from './rate-limit-types.js'
import { MemoryRateLimitStore } from './rate-limit/memory-store.js'
import { REQUIRED_SESSION_OPERATIONS } from './session-types.js'
import { REQUIRED_STORAGE_OPERATIONS, type StoragePlugin, type UserRecord } from './storage-types.js'
import { signAccessToken } from './tokens/issuer.js'
import type { KeyRing } from './tokens/key-ring.js'

/** The file the default SQLite storage uses, in the working directory. */
export const DEFAULT_SQLITE_FILE = 'authcore.db'

/** The storage plugin the options name, or the default SQLite file (created on its `init()`). */
export async function chooseStorage(options: ResolvedOptions): Promise<StoragePlugin> {
  return options.storage ?? (await import('../plugins/storage/sqlite.js')).sqliteStorage({ filename: DEFAULT_SQLITE_FILE })
}

/** Checks a storage plugin has every operation the core calls; names what is missing. */
function checkStorage(storage: StoragePlugin): void {
  const missing: string[] = REQUIRED_STORAGE_OPERATIONS.filter((op) => typeof storage[op] !== 'function')
  if (storage.sessions !== undefined) {
    const sessions = storage.sessions as unknown as Record<string, unknown>
    missing.push(...REQUIRED_SESSION_OPERATIONS.filter((op) => typeof sessions[op] !== 'function').map((op) => `sessions.${op}`))
  }
  if (missing.length > 0) {
    throw new AuthError('ERR_AUTH_STORAGE_INCOMPLETE', `Storage plugin '${storage.name ?? 'unnamed'}' does not implement: ${missing.join(', ')}`)
  }
}

/** The counter stores in use, and those AuthCore made (and so closes). */
interface Counters {
  readonly stores: LimiterStores
  readonly owned: readonly RateLimitStore[]
}

/**
 * The counter stores the `rateLimit.store` option names. Memory always gets
 * two budgets, one for per-address windows and one for per-account windows,
 * so a flood of addresses cannot push out a lockout: by default two stores,
 * and for a {@link MemoryRateLimitStore} passed in (to set its `maxKeys`), a
 * second one of the same size for accounts. A store passed in is the
 * caller's to close.
 */
function counterStores(choice: ResolvedOptions['rateLimitStore'], storage: StoragePlugin): Counters {
  if (choice === 'memory') {
    const stores = { address: new MemoryRateLimitStore(), account: new MemoryRateLimitStore() }
    return { stores, owned: [stores.address, stores.account] }
  }
  if (choice instanceof MemoryRateLimitStore) {
    const account = new MemoryRateLimitStore({ maxKeys: choice.maxKeys })
    return { stores: { address: choice, account }, owned: [account] }
  }
  if (choice !== 'storage') return { stores: { address: choice, account: choice }, owned: [] }
  if (!storage.rateLimits) {
    throw new AuthError('ERR_AUTH_STORAGE_INCOMPLETE', `rateLimit.store is 'storage', but storage plugin '${storage.name}' has no rate-limit counters`)
  }
  return { stores: { address: storage.rateLimits, account: storage.rateLimits }, owned: [] }
}

/** Closes the counter stores AuthCore made. */
async function closeCounters(counters: Counters): Promise<void> {
  for (const store of counters.owned) await store.close?.()
}

/** What `startCore` needs from the AuthCore instance. */
export interface StartInput {
  readonly options: ResolvedOptions
  /**
   * The storage plugin to start on. The instance keeps it across attempts,
   * so a start that failed (a database not up yet) is retried on the same
   * plugin, and `close()` releases it even when no start ever succeeded.
   */
  readonly storage: StoragePlugin
  readonly ring: Promise<KeyRing>
  readonly hooks: HookRunner
  readonly events: EventHub<AuthEvents>
  /** Drops the instance's caches for a user after a change. */
  readonly forgetUser: (userId: string) => void
  /** The sign-in methods already set up by an earlier attempt of this instance (set up once, never again). */
  readonly methodsSetUp: WeakSet<object>
}

/** A started core: the operations' context and how to release what it set up (storage is the instance's to close). */
export interface StartedCore {
  readonly context: CoreContext
  close(): Promise<void>
}

/**
 * Everything `ready()` does: import keys, pick the method, load the password
 * policy, open storage (the default SQLite file) and migrate it, choose the
 * counter store, set up plugins, and assemble the operations' context.
 */
export async function startCore(input: StartInput): Promise<StartedCore> {
  const { options, storage, ring: ringPromise, hooks, events, forgetUser, methodsSetUp } = input
  let ring: KeyRing
  try {
    ring = await ringPromise
  } catch (cause) {
    throw new AuthError('ERR_AUTH_KEY_INVALID', undefined, { cause })
  }
  const methods = options.methods ?? [(await import('../plugins/methods/basic.js')).basic()]
  const method = methods.find((m): m is CredentialsMethod => m.kind === 'credentials')
  if (!method || typeof method.signIn !== 'function' || typeof method.signUp !== 'function') {
    throw new TypeError('methods must include a credentials method with signUp and signIn (such as basic())')
  }
  const passwords = await PasswordService.create(options.passwordPolicy)
  checkStorage(storage)
  // Storage stays open when a step fails: the next call retries on it, and
  // the instance's close() releases it. What this attempt set up is undone.
  await storage.init()
  const counters = counterStores(options.rateLimitStore, storage)
  const setUp: AuthPlugin[] = []
  try {
    const pluginContext = Object.freeze({ storage })
    // Methods have no close(): each is set up once per instance, whatever the attempts.
    for (const method of methods) {
      if (methodsSetUp.has(method)) continue
      await method.setup?.(pluginContext)
      methodsSetUp.add(method)
    }
    for (const plugin of options.plugins) {
      // Listed before its setup runs, so one that fails half-way is closed too.
      setUp.push(plugin)
      await plugin.setup?.(pluginContext)
    }
  } catch (err) {
    for (const plugin of setUp.reverse()) await Promise.resolve(plugin.close?.()).catch(() => undefined)
    await closeCounters(counters).catch(() => undefined)
    throw err
  }

  const context: CoreContext = Object.freeze({
    options,
    storage,
    passwords,
    hooks,
    events,
    rules: options.rules,
    limiter: new Limiter(options.rateLimit, counters.stores, options.now, events),
    method,
    methodContext: Object.freeze({
      storage,
      passwords,
      hooks,
      roles: Object.freeze({ default: options.defaultRole, signUp: options.signUpRoles }),
    }),
    refreshKey: ring.refreshKey,
    issueToken: (user: UserRecord, sessionId?: string) => signAccessToken(options, ring, user, sessionId),
    forgetUser,
  })
  return Object.freeze({
    context,
    async close() {
      for (const plugin of options.plugins) await plugin.close?.()
      await closeCounters(counters)
    },
  })
}
