/**
 * The storage plugin contract: everything the core asks of a database.
 *
 * A plugin is a plain object. Every operation is small and atomic on its own;
 * several operations that must succeed together run inside
 * {@link StoragePlugin.transaction}. A plugin never lets a raw driver error
 * escape: a unique violation on the email key becomes `ERR_AUTH_USER_EXISTS`,
 * and anything that means "the database cannot answer" becomes
 * `ERR_AUTH_STORAGE_UNAVAILABLE` with the driver error as `cause`.
 */

import type { CredentialStore } from './credential-types.js'
import type { OneTimeTokenStore } from './one-time-token-types.js'
import type { RateLimitStore } from './rate-limit-types.js'
import type { SessionStore } from './session-types.js'

/** A user as stored. The core never returns this shape to a caller as-is. */
export interface UserRecord {
  /** Random UUID for users AuthCore creates; any string for adopted rows. */
  id: string
  /** The email as the user typed it (trimmed and NFKC-normalised); `''` for an adopted row whose email is NULL. */
  email: string
  /**
   * The canonical, lower-case key that is unique in storage. `''` for an
   * adopted row that has none (its email collided with another row's, or was
   * NULL); `''` never matches a lookup.
   */
  emailKey: string
  /** Display name (`''` for an adopted row whose name is NULL). */
  name: string
  /** The user's role (`''` for an adopted row whose role is NULL). */
  role: string
  /** PHC-format argon2id hash, a legacy bcrypt hash, or null when none is set. */
  passwordHash: string | null
  /** Advanced on every change that must invalidate existing tokens. */
  tokenVersion: number
  /** A disabled user cannot sign in. */
  disabled: boolean
  /**
   * Whether the user proved they receive mail at `email` (a verification
   * link, a password reset, an email link sign-in). False for users created
   * before AuthCore kept it, and after an email change until it is confirmed.
   */
  emailVerified: boolean
  /** When the row was created. */
  createdAt: Date
  /** When the row last changed. */
  updatedAt: Date
}

/**
 * What the core passes to {@link StoragePlugin.createUser}: the fields of a
 * {@link UserRecord} it chooses; the plugin sets the token version (0),
 * `disabled` (false) and the times.
 */
export interface NewUser extends Pick<UserRecord, 'id' | 'email' | 'emailKey' | 'name' | 'role' | 'passwordHash'> {
  /** True when the address was proven before the user was made (an email link sign-up). Default false. */
  emailVerified?: boolean
}

/** A partial update; fields left out, or present but `undefined`, are unchanged. */
export interface UserPatch {
  email?: string
  emailKey?: string
  name?: string
  role?: string
  passwordHash?: string | null
  disabled?: boolean
  emailVerified?: boolean
  /** When true, the token version is advanced by one in the same statement. */
  bumpTokenVersion?: boolean
  /**
   * A condition, not a change: apply the patch only if the stored password
   * hash is exactly this (null: no hash) at the moment of the write, in the
   * same statement. When it is not, nothing changes and `updateUser`
   * answers undefined. How a sign-in's re-hash avoids undoing a password
   * change that committed while the old password was being verified.
   */
  ifPasswordHash?: string | null
}

/** One page of users, in a stable order, with a cursor for the next page. */
export interface UserPage {
  users: UserRecord[]
  /** Opaque cursor for the next page; absent on the last page. */
  next?: string
}

/** Paging request for {@link UserStore.listUsers}. */
export interface ListUsersQuery {
  /** Page size, 1 to {@link MAX_PAGE_SIZE}. */
  limit: number
  /** A cursor returned by a previous page. */
  cursor?: string
}

/** Largest page a storage plugin must serve. */
export const MAX_PAGE_SIZE = 100

/**
 * The user operations every storage plugin implements. Every record handed
 * out is new (its Dates too); misuse (a non-string id, a field of the wrong
 * type) is a TypeError before anything is written.
 */
export interface UserStore {
  /**
   * Inserts a user; a duplicate `emailKey` throws `ERR_AUTH_USER_EXISTS`
   * (enforced by the database), a duplicate id `ERR_AUTH_STORAGE_FAILED`
   * (never overwritten), an empty `emailKey` `ERR_AUTH_INPUT_INVALID`.
   */
  createUser(user: NewUser): Promise<UserRecord>
  /** The user with this id, or undefined. */
  findUserById(id: string): Promise<UserRecord | undefined>
  /** The user with this canonical email key, or undefined (always, for `''`: it is no key). */
  findUserByEmailKey(emailKey: string): Promise<UserRecord | undefined>
  /**
   * Applies `patch` and returns the new row, or undefined when no such user
   * exists (or `patch.ifPasswordHash` does not match the stored hash).
   * Sets `updatedAt` on every write; an `emailKey` another user holds is
   * `ERR_AUTH_USER_EXISTS`, an empty one `ERR_AUTH_INPUT_INVALID`.
   */
  updateUser(id: string, patch: UserPatch): Promise<UserRecord | undefined>
  /**
   * A page of users ordered by the UTF-8 bytes of their ids. A cursor the
   * plugin did not issue is `ERR_AUTH_INPUT_INVALID`.
   */
  listUsers(query: ListUsersQuery): Promise<UserPage>
  /** Deletes the user; true when a row was deleted. */
  deleteUser(id: string): Promise<boolean>
}

/** What a transaction's callback works with: the user operations and, where offered, the session ones, all bound to the transaction. */
export interface TransactionStore extends UserStore {
  readonly sessions?: SessionStore
  /** The one-time-token operations, bound to the transaction (present when the plugin offers them). */
  readonly oneTimeTokens?: OneTimeTokenStore
  /** The credential operations, bound to the transaction (present when the plugin offers them). */
  readonly credentials?: CredentialStore
}

/**
 * A storage plugin. `init()` runs migrations and must be safe to call twice
 * and from two processes at once; `close()` releases every connection it
 * opened, never one it was given. AuthCore closes the plugin it is given
 * from `auth.close()`. The contract, method by method, is in
 * docs/storage.md; `examples/storage-memory/` is a complete plugin that
 * passes the conformance kit (`authcore/testing`).
 */
export interface StoragePlugin extends UserStore {
  /** A short name for messages, for example `'sqlite'`. */
  readonly name: string
  /** Refresh-session operations (required once sessions are used: `ready()` checks). */
  readonly sessions?: SessionStore
  /** Windowed counters in the database's own tables, for rate limits and lockout shared by several instances. */
  readonly rateLimits?: RateLimitStore
  /**
   * Single-use hashed secrets with an atomic consume (required by the
   * capabilities that issue links and codes: `ready()` checks).
   */
  readonly oneTimeTokens?: OneTimeTokenStore
  /**
   * Per-user credentials of a kind with a unique subject and optimistic
   * updates (required by the capabilities that keep them: `ready()` checks).
   */
  readonly credentials?: CredentialStore
  /** Creates or upgrades the tables. Idempotent and safe under concurrency. */
  init(): Promise<void>
  /** Releases every resource the plugin opened (not a pool the user passed in). */
  close(): Promise<void>
  /**
   * Runs `fn` in one transaction: if it throws, nothing it wrote remains.
   * Operations on `tx` take part; operations on the plugin itself do not.
   * An error `fn` throws is rethrown as-is after the rollback; a failure to
   * begin or commit is an AuthError. Inside `fn`, use only `tx`: on SQLite
   * (one writer connection) a call on the plugin itself may wait for this
   * very transaction to end, which it never would. A plugin may run `fn`
   * again when the database aborted the transaction to break a deadlock
   * (it undid everything `fn` wrote): keep `fn` to work on `tx`.
   */
  transaction<T>(fn: (tx: TransactionStore) => Promise<T>): Promise<T>
}

/** Names of the operations the core requires of every storage plugin. */
export const REQUIRED_STORAGE_OPERATIONS = [
  'init', 'close', 'transaction', 'createUser', 'findUserById', 'findUserByEmailKey',
  'updateUser', 'listUsers', 'deleteUser',
] as const satisfies readonly (keyof StoragePlugin)[]
