import { AuthError, UsageError } from './errors.js'
import type { AuthEvents, EventHub } from './events.js'
import type { Hook, HookName, HookRunner } from './hooks.js'
import type { CoreContext } from './operations/context.js'
import type { ResolvedOptions } from './options-validate.js'
import { PasswordService } from './passwords/service.js'
import type { AuthPlugin, PluginAuth, PluginContext } from './plugin-types.js'
import type { CredentialsMethod, SignInMethod } from './method-types.js'
import type { Contributions } from './plugin-contributions.js'
import type { RateLimitSettings } from './rate-limit/settings.js'
import { MailQueue } from './mail-queue.js'
import type { AccountEmailService } from './account-email-types.js'
import { pluginContext, type Attempt } from './plugin-context.js'
import { Limiter, type LimiterStores } from './rate-limit/limiter.js'
import { REQUIRED_RATE_LIMIT_OPERATIONS, type RateLimitStore } from './rate-limit-types.js'
import { MemoryRateLimitStore } from './rate-limit/memory-store.js'
import { REQUIRED_SESSION_OPERATIONS } from './session-types.js'
import { REQUIRED_ONE_TIME_TOKEN_OPERATIONS } from './one-time-token-types.js'
import { REQUIRED_CREDENTIAL_OPERATIONS } from './credential-types.js'
import { REQUIRED_STORAGE_OPERATIONS, type StoragePlugin, type UserRecord } from './storage-types.js'
import { signAccessToken } from './tokens/issuer.js'
import type { KeyRing } from './tokens/key-ring.js'


/** The operations of `required` that `store` has no function for, each as `prefix` + name. */
function missingOperations(store: object, required: readonly string[], prefix = ''): string[] {
  return required.filter((op) => typeof (store as Record<string, unknown>)[op] !== 'function').map((op) => prefix + op)
}

/** Throws ERR_AUTH_STORAGE_INCOMPLETE naming `missing`, when there is any. */
function refuseIncomplete(storage: StoragePlugin, missing: readonly string[]): void {
  if (missing.length > 0) {
    throw new AuthError('ERR_AUTH_STORAGE_INCOMPLETE', `Storage plugin '${storage.name ?? 'unnamed'}' does not implement: ${missing.join(', ')}`)
  }
}

/** Checks a storage plugin has every operation the core calls; names what is missing. */
function checkStorage(storage: StoragePlugin): void {
  const missing = missingOperations(storage, REQUIRED_STORAGE_OPERATIONS)
  if (storage.sessions !== undefined) missing.push(...missingOperations(storage.sessions, REQUIRED_SESSION_OPERATIONS, 'sessions.'))
  // A store that is offered must be whole: a plugin that requires it relies on every operation.
  if (storage.oneTimeTokens !== undefined) {
    missing.push(...missingOperations(storage.oneTimeTokens, REQUIRED_ONE_TIME_TOKEN_OPERATIONS, 'oneTimeTokens.'))
  }
  if (storage.credentials !== undefined) missing.push(...missingOperations(storage.credentials, REQUIRED_CREDENTIAL_OPERATIONS, 'credentials.'))
  refuseIncomplete(storage, missing)
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
  refuseIncomplete(storage, missingOperations(storage.rateLimits, REQUIRED_RATE_LIMIT_OPERATIONS, 'rateLimits.'))
  return { stores: { address: storage.rateLimits, account: storage.rateLimits }, owned: [] }
}

/** Closes the counter stores AuthCore made. */
async function closeCounters(counters: Counters): Promise<void> {
  for (const store of counters.owned) await store.close?.()
}

/** What `startCore` needs from the AuthCore instance. */
export interface StartInput {
  readonly options: ResolvedOptions
  /** The sign-in methods (the options' or the default). */
  readonly methods: readonly SignInMethod[]
  /** The plugins: those configured, then the account mail when a mailer is set. */
  readonly plugins: readonly AuthPlugin[]
  /** The account-mail plugin (also in `plugins`), when a mailer is set. */
  readonly accountEmail: AccountEmailService | undefined
  /** What they contribute, checked at construction. */
  readonly contributions: Contributions
  /** Rate-limit settings with the plugins' scopes. */
  readonly rateLimit: RateLimitSettings
  /** The instance's public operations, handed to plugins. */
  readonly auth: PluginAuth
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

/** A started core: the operations' context, each plugin's context, and how to release what it set up (storage is the instance's to close). */
export interface StartedCore {
  readonly context: CoreContext
  /** The context a method or plugin (or `'core'`) was set up with. */
  contextFor(owner: string): PluginContext
  close(): Promise<void>
}

/** Refuses to start when a plugin requires a storage part or option that is not there. */
function checkRequirements(contributions: Contributions, storage: StoragePlugin, options: ResolvedOptions): void {
  for (const [owner, needs] of contributions.requires) {
    const missing = needs.filter((need) => (need === 'mailer' ? options.mailer === undefined : storage[need] === undefined))
    if (missing.includes('mailer')) {
      throw new AuthError('ERR_AUTH_OPTIONS_INVALID', `Plugin '${owner}' needs a mailer: set the mailer option`)
    }
    if (missing.length > 0) {
      throw new AuthError('ERR_AUTH_STORAGE_INCOMPLETE', `Plugin '${owner}' needs storage.${missing.join(' and storage.')}, which storage plugin '${storage.name}' does not offer`)
    }
  }
}

/**
 * Everything `ready()` does: import keys, pick the method, load the password
 * policy, open storage (the default SQLite file) and migrate it, choose the
 * counter store, assemble the operations' context, then set up methods and
 * plugins in order, each with its own context.
 */
export async function startCore(input: StartInput): Promise<StartedCore> {
  const { options, methods, plugins, contributions, storage, ring: ringPromise, hooks, events, forgetUser, methodsSetUp } = input
  let ring: KeyRing
  try {
    ring = await ringPromise
  } catch (cause) {
    throw new AuthError('ERR_AUTH_KEY_INVALID', undefined, { cause })
  }
  const method = methods.find((m): m is CredentialsMethod => m.kind === 'credentials')
  if (!method || typeof method.signIn !== 'function' || typeof method.signUp !== 'function') {
    throw new UsageError('methods must include a credentials method with signUp and signIn (such as basic())')
  }
  const passwords = await PasswordService.create(options.passwordPolicy)
  checkStorage(storage)
  // Storage stays open when a step fails: the next call retries on it, and
  // the instance's close() releases it. What this attempt set up is undone.
  await storage.init()
  checkRequirements(contributions, storage, options)
  const counters = counterStores(options.rateLimitStore, storage)
  const mail = options.mailer && new MailQueue(options.mailer, (error) => events.report('mail', error))
  const context: CoreContext = Object.freeze({
    options,
    storage,
    passwords,
    hooks,
    events,
    rules: options.rules,
    limiter: new Limiter(input.rateLimit, counters.stores, options.now, events),
    method,
    methodContext: Object.freeze({
      storage,
      passwords,
      hooks,
      roles: Object.freeze({ default: options.defaultRole, signUp: options.signUpRoles }),
    }),
    refreshKey: ring.refreshKey,
    pluginKey: ring.pluginKey,
    sealKey: ring.sealKey,
    issueToken: (user: UserRecord, sessionId?: string, method?: string) => signAccessToken(options, ring, user, sessionId, method),
    forgetUser,
    accountEmail: input.accountEmail,
  })
  const attempt: Attempt = { open: true, added: [] }
  const contexts = new Map<string, PluginContext>([['core', pluginContext(context, 'core', input, attempt, mail)]])
  for (const owner of [...methods, ...plugins]) contexts.set(owner.name, pluginContext(context, owner.name, input, attempt, mail))

  const setUp: AuthPlugin[] = []
  try {
    // Methods have no close(): each is set up once per instance, whatever the attempts.
    for (const m of methods) {
      if (methodsSetUp.has(m)) continue
      await m.setup?.(contexts.get(m.name)!)
      methodsSetUp.add(m)
    }
    for (const plugin of plugins) {
      // Listed before its setup runs, so one that fails half-way is closed too.
      setUp.push(plugin)
      await plugin.setup?.(contexts.get(plugin.name)!)
    }
  } catch (err) {
    for (const plugin of setUp.reverse()) await Promise.resolve(plugin.close?.()).catch(() => undefined)
    // The plugins' hooks go with them (methods stay set up, and keep theirs): a retry must not add them twice.
    const names = new Set(plugins.map((p) => p.name))
    for (const { owner, name, fn } of attempt.added) if (names.has(owner)) hooks.remove(name, fn)
    await closeCounters(counters).catch(() => undefined)
    await mail?.close(0)
    throw err
  } finally {
    attempt.open = false
  }
  return Object.freeze({
    context,
    contextFor(owner: string) {
      const found = contexts.get(owner)
      if (!found) throw new UsageError(`no plugin named '${owner}'`)
      return found
    },
    async close() {
      // Reverse order: a plugin may use those set up before it until it is closed.
      for (const plugin of [...plugins].reverse()) await plugin.close?.()
      // What was queued still goes out (bounded), before the mailer closes.
      await mail?.close()
      await closeCounters(counters)
    },
  })
}
