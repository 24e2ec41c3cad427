import { AuthError } from './errors.js'

/** Longest email accepted, in characters (RFC 5321's path limit less the brackets). */
export const MAX_EMAIL_LENGTH = 254

/** An email as the user typed it (display form) and the key it is unique by. */
export interface NormalizedEmail {
  /** Trimmed and NFKC-normalised; case kept as typed. */
  readonly email: string
  /** Lower-case canonical key: `Alice@Example.COM` and `alice@example.com` share it. */
  readonly key: string
}

// One '@' with something on each side and a dot-free-or-dotted domain; no
// spaces, quotes, commas, angle brackets, semicolons or control characters,
// which is what header injection and address-list tricks need.
const EMAIL_RE = /^[^\s@",;<>()[\]\\\p{Cc}\p{Cf}]+@[^\s@",;<>()[\]\\\p{Cc}\p{Cf}]+$/u

/**
 * Validates and normalises an email. Throws `ERR_AUTH_INPUT_INVALID` naming
 * `field` when it is not an address we accept.
 */
export function normalizeEmail(raw: string, field = 'email'): NormalizedEmail {
  // Bound the work before normalising: NFKC can grow a string, but not from nothing.
  if (raw.length > MAX_EMAIL_LENGTH * 4) throw invalid(field, `must be at most ${MAX_EMAIL_LENGTH} characters`)
  const email = raw.trim().normalize('NFKC')
  if (email.length === 0) throw invalid(field, 'is required')
  if (email.length > MAX_EMAIL_LENGTH) throw invalid(field, `must be at most ${MAX_EMAIL_LENGTH} characters`)
  if (!EMAIL_RE.test(email)) throw invalid(field, 'must be one email address, like name@example.com')
  const domain = email.slice(email.indexOf('@') + 1)
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) {
    throw invalid(field, 'must be one email address, like name@example.com')
  }
  return Object.freeze({ email, key: email.toLowerCase() })
}

function invalid(field: string, why: string): AuthError {
  return new AuthError('ERR_AUTH_INPUT_INVALID', `${field} ${why}`, { details: { field } })
}
