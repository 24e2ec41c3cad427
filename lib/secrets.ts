/**
 * One-time secrets for links and codes: 256 bits from the CSPRNG, handed to
 * the user once, kept only as their SHA-256. A database leak then holds
 * nothing that opens a link.
 */
import { createHash, randomBytes } from 'node:crypto'

/** The shape of a secret from {@link newOneTimeSecret}: 43 base64url characters. */
const SECRET_FORMAT = /^[A-Za-z0-9_-]{43}$/

/** The SHA-256 of a secret, base64url: what a one-time-token row stores. */
export function hashOneTimeSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url')
}

/** A new secret (32 random bytes, base64url) and its hash. */
export function newOneTimeSecret(): { secret: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url')
  return { secret, secretHash: hashOneTimeSecret(secret) }
}

/**
 * Whether `value` has the shape of a secret from {@link newOneTimeSecret}.
 * Checked before any lookup, so junk costs no query. (The last character of
 * 32 bytes in base64url carries 2 spare bits; a twin differing there hashes
 * differently and simply matches nothing.)
 */
export function isOneTimeSecret(value: unknown): value is string {
  return typeof value === 'string' && SECRET_FORMAT.test(value)
}
