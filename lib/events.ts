import mittModule, { type Emitter } from 'mitt'
import type { PublicUser } from './users/public-user.js'
import { UsageError } from './errors.js'

// mitt's types describe a CommonJS default export while Node loads its ES
// module build: take the function from whichever shape arrives.
const mitt = ((mittModule as { default?: unknown }).default ?? mittModule) as typeof mittModule.default

/** Payload of the `error` event: something failed outside an operation's answer. */
export interface ListenerErrorEvent {
  /**
   * The event whose listener failed; `'http'` for an unexpected error in
   * `handle()` (answered with a plain 500); `'rate-limit'` for a counter
   * store failure let through by `failMode: 'open'`; `'sessions'` for a
   * failed second revocation pass after a committed change; `'mail'` for a
   * message the mail queue dropped or could not send after its retries.
   */
  event: string
  /** What was thrown. */
  error: unknown
}

/**
 * Every event AuthCore emits and its payload. Events are emitted after the
 * work is committed; payloads are frozen and never carry a password, hash or
 * token.
 */
export interface AuthEvents {
  /** A listener threw or rejected, or `handle()` met an unexpected error. Never emitted for the `error` event's own listeners. */
  error: ListenerErrorEvent
  /** A user was created: by sign-up, by `createUser` from server code, or by a plugin (`via` is its name). */
  'user:created': { user: PublicUser; via: 'sign-up' | 'create-user' | (string & {}) }
  /** A user signed in with a sign-in method. */
  'user:signed-in': { user: PublicUser; method: string }
  /**
   * A sign-in failed. `email` is the canonical key that was tried; `userId`
   * is set when the email belongs to a user. The caller always got the same
   * `ERR_AUTH_INVALID_CREDENTIALS`; only this event tells the reasons apart.
   */
  'user:sign-in-failed': { email: string; reason: SignInFailure; userId?: string; method: string }
  /** A user's email, name or password changed. `by` is the id of who changed it. */
  'user:updated': { user: PublicUser; changed: readonly ('email' | 'name' | 'pass')[]; by: string }
  /** A user's role changed. `by` is the id of the admin who changed it. */
  'user:role-changed': { user: PublicUser; from: string; to: string; by: string }
  /** A user was disabled or enabled again. */
  'user:disabled-changed': { user: PublicUser; disabled: boolean; by: string }
  /** Every session and token of a user was ended by `revokeSessions`. */
  'user:sessions-revoked': { userId: string; by: string }
  /** A refresh token was rotated. */
  'session:refreshed': { userId: string; familyId: string }
  /** A session family ended by sign-out. */
  'session:ended': { userId: string; familyId: string; reason: 'sign-out' }
  /** An already-rotated refresh token came back outside the grace window: the whole family was revoked. */
  'session:reuse-detected': { userId: string; familyId: string }
  /**
   * An account was locked by failed sign-ins. `email` is the canonical key
   * (locked whether or not a user has it); `userId` is set when one does.
   */
  'user:locked': { email: string; userId?: string; until: string }
  /**
   * A request was refused by a rate limit and may retry after `retryAfter`
   * seconds. `scope` is `'account'`, `'sign-in'`, `'sign-up'`, `'refresh'`,
   * or a plugin's `'<plugin>:<scope>'`.
   */
  'rate-limit:exceeded': { scope: string; retryAfter: number }
  /**
   * A user proved their address with a verification, reset or email-change
   * link (account mail). After an email change, `email` is the new address.
   * The email-link method reports its own proof (`email-link:account-reclaimed`).
   */
  'email:verified': { userId: string; email: string }
  /** A password reset was asked for. `userId` is set when the address belongs to a user (the caller was told the same either way). */
  'email:reset-requested': { email: string; userId?: string }
  /** A password was set with a reset link: every session of the user ended. */
  'email:password-reset': { userId: string }
  /** An email change waits for the new address to be confirmed. */
  'email:change-requested': { userId: string; to: string }
  /** An email change was confirmed and applied; the user's other sessions ended. */
  'email:changed': { userId: string; from: string; to: string }
}

/** Why a sign-in failed, for the `user:sign-in-failed` event only. */
export type SignInFailure = 'unknown-email' | 'wrong-password' | 'no-password' | 'disabled' | 'changed-meanwhile'

/** A listener for event `K`. It may be async; what it returns is ignored. */
export type AuthListener<E, K extends keyof E> = (payload: E[K]) => unknown

type Wrapped = (payload: never) => void

/**
 * A typed event hub over mitt that isolates listeners: one that throws or
 * rejects never breaks the operation, never stops the other listeners, and
 * never becomes an unhandled rejection. Its failure is reported as an
 * `error` event.
 */
export class EventHub<E extends { error: ListenerErrorEvent }> {
  readonly #emitter: Emitter<E> = mitt<E>()
  readonly #wrapped = new Map<keyof E, Map<AuthListener<E, keyof E>, Wrapped>>()

  /** Reports a failure outside an operation's answer as an `error` event (or a bare process warning). */
  report(event: keyof E | 'http' | 'rate-limit' | 'sessions' | 'mail' | (string & {}), error: unknown): void {
    if (event === 'error') return
    if ((this.#emitter.all.get('error')?.length ?? 0) === 0) {
      // Say that something failed, but not what: the error could carry user data.
      process.emitWarning(`AuthCore: a failure in '${String(event)}'; add an 'error' listener to see it`, 'AuthCoreWarning')
      return
    }
    this.emit('error', Object.freeze({ event: String(event), error }) as E['error'])
  }

  /** Adds a listener; adding the same function twice for one event has no effect. */
  on<K extends keyof E>(event: K, listener: AuthListener<E, K>): void {
    if (typeof listener !== 'function') throw new UsageError('on(event, listener) needs a function')
    let byListener = this.#wrapped.get(event)
    if (!byListener) this.#wrapped.set(event, (byListener = new Map()))
    if (byListener.has(listener as AuthListener<E, keyof E>)) return
    const wrapped = (payload: E[K]) => {
      try {
        const result = listener(payload) as { then?: unknown } | undefined
        if (result && typeof result.then === 'function') {
          ;(result as Promise<unknown>).then(undefined, (error: unknown) => this.report(event, error))
        }
      } catch (error) {
        this.report(event, error)
      }
    }
    byListener.set(listener as AuthListener<E, keyof E>, wrapped as Wrapped)
    this.#emitter.on(event, wrapped)
  }

  /** Removes a listener added with {@link on}. */
  off<K extends keyof E>(event: K, listener: AuthListener<E, K>): void {
    const byListener = this.#wrapped.get(event)
    const wrapped = byListener?.get(listener as AuthListener<E, keyof E>)
    if (!wrapped) return
    byListener!.delete(listener as AuthListener<E, keyof E>)
    this.#emitter.off(event, wrapped as (payload: E[K]) => void)
  }

  /** Emits to every listener; call only after the work is committed. The payload is frozen. */
  emit<K extends keyof E>(event: K, payload: E[K]): void {
    this.#emitter.emit(event, Object.freeze(payload) as E[K])
  }

  /** Drops every listener (on close). */
  clear(): void {
    this.#emitter.all.clear()
    this.#wrapped.clear()
  }
}
