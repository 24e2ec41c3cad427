import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { AuthError } from '../errors.js'

/** The two halves of a refresh token: `<session id>.<secret>`. */
export interface RefreshTokenParts {
  readonly sessionId: string
  readonly secret: string
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const SECRET = /^[A-Za-z0-9_-]{43}$/

/** A new session id and a 256-bit secret from the CSPRNG. */
export function newRefreshToken(): RefreshTokenParts {
  return { sessionId: randomUUID(), secret: randomBytes(32).toString('base64url') }
}

/**
 * The successor's secret, derived from the presented secret under a server
 * key. Only the server, and only when shown the old refresh token, can
 * compute it (storage keeps hashes only; an old secret plus a session id is
 * not enough without the key). That lets a client that lost a refresh
 * response retry inside the grace window and receive the same successor
 * instead of a second one.
 */
export function successorToken(parent: RefreshTokenParts, successorId: string, serverKey: Uint8Array): RefreshTokenParts {
  const secret = createHmac('sha256', serverKey).update(`${parent.secret}:${successorId}`).digest('base64url')
  return { sessionId: successorId, secret }
}

/** `<id>.<secret>` */
export const formatRefreshToken = (parts: RefreshTokenParts) => `${parts.sessionId}.${parts.secret}`

/**
 * Splits a presented refresh token, refusing anything not shaped like one
 * (a JWT, say) with `ERR_AUTH_REFRESH_INVALID` before any storage look-up.
 */
export function parseRefreshToken(token: unknown): RefreshTokenParts {
  if (typeof token !== 'string' || token.length !== 36 + 1 + 43) throw new AuthError('ERR_AUTH_REFRESH_INVALID')
  const sessionId = token.slice(0, 36)
  const secret = token.slice(37)
  if (token[36] !== '.' || !SESSION_ID.test(sessionId) || !SECRET.test(secret)) throw new AuthError('ERR_AUTH_REFRESH_INVALID')
  return { sessionId, secret }
}

/** SHA-256 of a secret, base64url: what storage keeps (the secret has 256 bits of entropy, so a fast hash suffices). */
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('base64url')

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret))
  const stored = Buffer.from(storedHash)
  return presented.length === stored.length && timingSafeEqual(presented, stored)
}
