/**
 * What the core hands each plugin and sign-in method: its context, built on
 * the started core. Everything a plugin does through it is bounded to what
 * it declared, observed like the core's own operations, and revocable.
 */
import { createHmac } from 'node:crypto'
import { AuthError, UsageError } from './errors.js'
import type { Hook, HookName } from './hooks.js'
import type { MailQueue } from './mail-queue.js'
import type { CoreContext } from './operations/context.js'
import { signInProven } from './operations/credentials.js'
import { familyStart, updateAndRevoke } from './operations/sessions.js'
import type { Contributions } from './plugin-contributions.js'
import type { PluginAuth, PluginContext } from './plugin-types.js'
import { MAX_SESSION_METHOD_LENGTH } from './session-types.js'
import type { UserRecord } from './storage-types.js'
import { sealText, unsealText } from './tokens/seal.js'
import { toPublicUser } from './users/public-user.js'

/** One start attempt's hook registrations, so a failed attempt can take back what its plugins added. */
export interface Attempt {
  open: boolean
  readonly added: { readonly owner: string; readonly name: HookName; readonly fn: Hook<HookName> }[]
}

/**
 * The context one owner (a method, a plugin, or `'core'`) works through:
 * the core's services, each limited to what the owner declared (its own
 * scopes, events and method names) and to its start attempt (hooks).
 */
export function pluginContext(
  core: CoreContext,
  owner: string,
  input: { readonly contributions: Contributions; readonly auth: PluginAuth },
  attempt: Attempt,
  mail: MailQueue | undefined,
): PluginContext {
  const { contributions, auth } = input
  const ownScope = (scope: string) => {
    const full = `${owner}:${scope}`
    if (contributions.scopes.get(full)?.owner !== owner) throw new UsageError(`plugin '${owner}' has no rate-limit scope '${scope}'`)
    return full
  }
  return Object.freeze({
    auth,
    storage: core.storage,
    mailer: core.options.mailer,
    appUrl: core.options.appUrl,
    emailVerification: core.options.emailVerification,
    redirectUrls: core.options.redirectUrls,
    trustedProviders: core.options.trustedProviders,
    passwords: core.passwords,
    now: core.options.now,
    defaultRole: core.options.defaultRole,
    emit(event, payload) {
      if (contributions.events.get(event as string) !== owner) {
        throw new UsageError(`plugin '${owner}' emits '${String(event)}', which it does not declare in its events`)
      }
      core.events.emit(event, payload)
    },
    runHook: (name, context) => core.hooks.run(name, context),
    hook(name, fn) {
      // Hooks are part of a plugin's set-up: added later (from a handler, say) they would race the operations they shape.
      if (!attempt.open) throw new UsageError(`plugin '${owner}': register hooks in setup(), not after ready()`)
      core.hooks.add(name, fn)
      attempt.added.push({ owner, name, fn: fn as Hook<HookName> })
    },
    async limit(scope, clientAddress) {
      await core.limiter.begin().address(ownScope(scope), clientAddress)
    },
    async limitSubject(scope, subject, options = {}) {
      if (typeof subject !== 'string' || subject === '') throw new UsageError(`plugin '${owner}': limitSubject needs a non-empty subject`)
      await core.limiter.begin().subject(ownScope(scope), subject, options.always === true)
    },
    keyedHash(value) {
      if (typeof value !== 'string') throw new UsageError(`plugin '${owner}': keyedHash needs a string`)
      if (!core.pluginKey) throw new AuthError('ERR_AUTH_NO_SIGNING_KEY')
      // Namespaced by the plugin: one plugin's hashes never match another's.
      return createHmac('sha256', core.pluginKey).update(`${owner}\0${value}`).digest('base64url')
    },
    seal(plaintext, label) {
      if (typeof plaintext !== 'string' || typeof label !== 'string' || label === '') throw new UsageError(`plugin '${owner}': seal needs a string and a label`)
      if (!core.sealKey) throw new AuthError('ERR_AUTH_NO_SIGNING_KEY')
      return sealText(core.sealKey, plaintext, label)
    },
    unseal(sealed, label) {
      if (typeof sealed !== 'string' || typeof label !== 'string' || label === '') throw new UsageError(`plugin '${owner}': unseal needs a string and a label`)
      if (!core.sealKey) throw new AuthError('ERR_AUTH_NO_SIGNING_KEY')
      return unsealText(core.sealKey, sealed, label)
    },
    async signedInAt(claims) {
      return (await familyStart(core.storage, claims))?.createdAt
    },
    reportError(error) {
      core.events.report(owner, error)
    },
    async resetSubject(scope, subject) {
      if (typeof subject !== 'string' || subject === '') throw new UsageError(`plugin '${owner}': resetSubject needs a non-empty subject`)
      await core.limiter.begin().resetSubject(ownScope(scope), subject)
    },
    sendMail(message) {
      if (!mail) throw new UsageError(`plugin '${owner}' sends mail, but no mailer is set: set the mailer option`)
      mail.enqueue(message)
    },
    async updateUser(userId, patch, options = {}) {
      const { endSessions, atomicWith, clearLockout } = options
      let updated: UserRecord | undefined
      if (endSessions) {
        const keep = typeof endSessions === 'object' ? endSessions.except : undefined
        updated = await updateAndRevoke(core, userId, patch, keep, atomicWith)
      } else {
        updated = await core.storage.transaction(async (tx) => {
          await atomicWith?.(tx)
          return tx.updateUser(userId, patch)
        })
        if (updated) core.forgetUser(userId)
      }
      // The change is committed: a counter store failing here is reported, not thrown.
      if (updated && clearLockout && updated.emailKey !== '') {
        await core.limiter.begin().unlock(updated.emailKey).catch((error: unknown) => core.events.report('rate-limit', error))
      }
      return updated
    },
    signIn(user, method = owner) {
      // A plugin speaks for its own method only: events and audits must be able to trust `method`.
      if (typeof method !== 'string' || (method !== owner && !method.startsWith(`${owner}:`))) {
        throw new UsageError(`plugin '${owner}' signs in as '${owner}' or '${owner}:<what>', not '${String(method)}'`)
      }
      // Sessions keep it (for the tokens' amr) in a column of this size.
      if (method.length > MAX_SESSION_METHOD_LENGTH) throw new UsageError(`plugin '${owner}': a method name has at most ${MAX_SESSION_METHOD_LENGTH} characters`)
      return signInProven(core, user, method)
    },
    userCreated(user) {
      core.events.emit('user:created', { user: toPublicUser(user), via: owner })
    },
  } satisfies PluginContext)
}
