/**
 * The one-time-token operations. A token is usable while it is not consumed
 * and `expiresAt` is after `now` (expiring exactly at `now` is expired).
 * Consuming and revoking both set `consumedAt`; revoking also sets `revoked`.
 */
import {
  AuthError, MAX_ONE_TIME_PAYLOAD_BYTES, UsageError, type NewOneTimeToken, type OneTimeTokenRecord, type OneTimeTokenStore,
} from '../../lib/index.js'
import { copy, date, jsonObject, key, LIMITS, object, text } from './arguments.js'
import type { Run, Tables } from './database.js'

function usable(token: OneTimeTokenRecord, now: Date): boolean {
  return token.consumedAt === null && token.expiresAt.getTime() > now.getTime()
}

function byHash(tables: Tables, purpose: string, secretHash: string): Readonly<OneTimeTokenRecord> | undefined {
  for (const token of tables.tokens.values()) if (token.secretHash === secretHash && token.purpose === purpose) return token
  return undefined
}

// Spends the usable tokens of (purpose, user) at `now` as revoked; answers how many.
function revoke(tables: Tables, purpose: string, userId: string, now: Date): number {
  let count = 0
  for (const token of tables.tokens.values()) {
    if (token.purpose !== purpose || token.userId !== userId || !usable(token, now)) continue
    tables.tokens.set(token.id, Object.freeze({ ...token, consumedAt: new Date(now), revoked: true }))
    count++
  }
  return count
}

// A checked copy of a new token, as stored.
function newRecord(input: NewOneTimeToken): Readonly<OneTimeTokenRecord> {
  object(input, 'createToken: token')
  return Object.freeze({
    id: key(input.id, 'createToken: token.id', LIMITS.id),
    purpose: key(input.purpose, 'createToken: token.purpose', LIMITS.purpose),
    userId: input.userId === null ? null : key(input.userId, 'createToken: token.userId', LIMITS.userId),
    secretHash: key(input.secretHash, 'createToken: token.secretHash', LIMITS.secretHash),
    payload: input.payload === null ? null : jsonObject(input.payload, 'createToken: token.payload', MAX_ONE_TIME_PAYLOAD_BYTES),
    createdAt: date(input.createdAt, 'createToken: token.createdAt'), expiresAt: date(input.expiresAt, 'createToken: token.expiresAt'),
    consumedAt: null, revoked: false,
  })
}

// The checked arguments of a look-up by purpose and secret hash.
function lookup(operation: string, purpose: unknown, secretHash: unknown): [string, string] {
  return [key(purpose, `${operation}: purpose`, LIMITS.purpose), text(secretHash, `${operation}: secretHash`)]
}

/** The one-time-token operations, reaching the tables through `run`. */
export function oneTimeTokenStore(run: Run): OneTimeTokenStore {
  return {
    async createToken(input, options = {}) {
      const token = newRecord(input)
      const revokeOthers = object(options, 'createToken: options').revokeOthers ?? false
      if (typeof revokeOthers !== 'boolean') throw new UsageError('createToken: options.revokeOthers must be a boolean')
      // Without a user, "the user's other tokens" would be every anonymous token of the purpose.
      if (revokeOthers && token.userId === null) throw new UsageError('createToken: revokeOthers needs a token with a userId')
      return run((tables) => {
        // Both checks come before any write, so a refused token revokes nothing.
        if (tables.tokens.has(token.id)) throw new AuthError('ERR_AUTH_STORAGE_FAILED', 'A token with this id exists')
        for (const other of tables.tokens.values()) {
          if (other.secretHash === token.secretHash) throw new AuthError('ERR_AUTH_STORAGE_FAILED', 'A token with this secret hash exists')
        }
        if (revokeOthers) revoke(tables, token.purpose, token.userId as string, token.createdAt)
        tables.tokens.set(token.id, token)
        return copy(token)
      })
    },

    async findToken(purpose, secretHash, now) {
      const [p, h] = lookup('findToken', purpose, secretHash)
      const at = date(now, 'findToken: now')
      return run((tables) => {
        const token = byHash(tables, p, h)
        return token !== undefined && usable(token, at) ? copy(token) : undefined
      })
    },

    async lookupToken(purpose, secretHash) {
      const [p, h] = lookup('lookupToken', purpose, secretHash)
      return run((tables) => copy(byHash(tables, p, h)))
    },

    async consumeToken(purpose, secretHash, now) {
      const [p, h] = lookup('consumeToken', purpose, secretHash)
      const at = date(now, 'consumeToken: now')
      return run((tables) => {
        const token = byHash(tables, p, h)
        if (token === undefined || !usable(token, at)) return undefined
        const consumed = Object.freeze({ ...token, consumedAt: at, revoked: false })
        tables.tokens.set(token.id, consumed)
        return copy(consumed)
      })
    },

    async revokeTokens(purpose, userId, now) {
      const p = key(purpose, 'revokeTokens: purpose', LIMITS.purpose)
      text(userId, 'revokeTokens: userId')
      const at = date(now, 'revokeTokens: now')
      return run((tables) => revoke(tables, p, userId, at))
    },

    async deleteExpiredTokens(now) {
      const at = date(now, 'deleteExpiredTokens: now').getTime()
      return run((tables) => {
        let count = 0
        for (const token of tables.tokens.values()) {
          const spent = token.expiresAt.getTime() <= at || (token.consumedAt !== null && token.consumedAt.getTime() <= at)
          if (spent && tables.tokens.delete(token.id)) count++
        }
        return count
      })
    },
  }
}
