/**
 * The one-time-token part of the storage contract: short-lived, single-use
 * secrets (a password-reset link, an email-verification code, an OAuth
 * hand-off code, a passkey challenge). A storage plugin offers it as
 * `storage.oneTimeTokens`; a capability that needs it says so and `ready()`
 * refuses to start without it.
 *
 * A row holds only the SHA-256 of the secret, never the secret. Consuming is
 * atomic: of any number of concurrent consumes of one token, exactly one
 * gets the row.
 */

/** One token as stored. */
export interface OneTimeTokenRecord {
  /** Random id of the row (not the secret): a non-empty string of at most 128 characters. */
  id: string
  /**
   * What the token is for, namespaced by its plugin (for example `'email:reset'`). Lookups never cross purposes.
   * A non-empty string of at most 64 characters (UTF-16 code units), compared exactly; a longer one is a TypeError
   * wherever a purpose is passed.
   */
  purpose: string
  /** The user it is about, when there is one: a non-empty string of at most 255 characters, or null. */
  userId: string | null
  /**
   * SHA-256 of the secret, base64url (at most 255 characters). Unique. Stored and answered exactly as given:
   * the store never sees the secret and never hashes again.
   */
  secretHash: string
  /**
   * A small JSON object (at most {@link MAX_ONE_TIME_PAYLOAD_BYTES} bytes of UTF-8 serialised), or null.
   * Every record holds its own copy: changing a returned payload never changes the store.
   */
  payload: Record<string, unknown> | null
  createdAt: Date
  /** After this instant the token neither consumes nor is found. */
  expiresAt: Date
  /** When it was consumed or revoked; null while usable. */
  consumedAt: Date | null
  /**
   * True when it was revoked (by `revokeOthers` or `revokeTokens`) rather
   * than consumed, so a capability can tell "already used" from "replaced
   * by a newer link". False while usable.
   */
  revoked: boolean
}

/** What a capability passes to create a token. */
export type NewOneTimeToken = Omit<OneTimeTokenRecord, 'consumedAt' | 'revoked'>

/** Largest payload a one-time token may carry, in bytes of its JSON. */
export const MAX_ONE_TIME_PAYLOAD_BYTES = 4096

/**
 * One-time-token operations, each atomic on its own. Every Date a record
 * holds is a new object. Caller misuse (a wrong type, an invalid Date, a
 * purpose or id over its length limit, a payload that is not a JSON object
 * or is over the size limit) is a TypeError, before anything is written.
 */
export interface OneTimeTokenStore {
  /**
   * Inserts a token. With `revokeOthers`, every other token of the same
   * purpose and user that is usable at the new token's `createdAt` is marked
   * consumed (at that instant) in the same transaction (a new reset link
   * voids the older ones); `revokeOthers` on a token without a user is a
   * TypeError. A payload over the size limit is a TypeError; a duplicate
   * secret hash or id is `ERR_AUTH_STORAGE_FAILED`, and then nothing is
   * inserted or revoked (an existing token is never overwritten).
   */
  createToken(token: NewOneTimeToken, options?: { revokeOthers?: boolean }): Promise<OneTimeTokenRecord>
  /** The usable token (not consumed, `expiresAt` after `now`) of this purpose and secret hash, without consuming it. */
  findToken(purpose: string, secretHash: string, now: Date): Promise<OneTimeTokenRecord | undefined>
  /**
   * The token of this purpose and secret hash in any state (usable, consumed,
   * revoked or expired) until it is purged, without changing it; undefined
   * when there is none. For telling a caller why a token no longer works.
   */
  lookupToken(purpose: string, secretHash: string): Promise<OneTimeTokenRecord | undefined>
  /**
   * Consumes the token in one conditional statement: only if it has this
   * purpose, is not consumed and `expiresAt` is after `now`. Answers the row
   * as it was before (with `consumedAt` set) to the one caller that consumed
   * it, undefined to everyone else.
   */
  consumeToken(purpose: string, secretHash: string, now: Date): Promise<OneTimeTokenRecord | undefined>
  /** Marks every usable token of this purpose and user consumed; returns how many. */
  revokeTokens(purpose: string, userId: string, now: Date): Promise<number>
  /** Deletes tokens that expired at or before `now`, or were consumed at or before `now`; returns how many. */
  deleteExpiredTokens(now: Date): Promise<number>
}

/** Names of the one-time-token operations. */
export const REQUIRED_ONE_TIME_TOKEN_OPERATIONS = [
  'createToken', 'findToken', 'lookupToken', 'consumeToken', 'revokeTokens', 'deleteExpiredTokens',
] as const satisfies readonly (keyof OneTimeTokenStore)[]
