import { AuthError, UsageError } from '../errors.js'

/** Rules a new password must meet. No composition rules: length and a blocklist, as NIST SP 800-63B asks. */
export interface PasswordPolicyOptions {
  /** Fewest characters (Unicode code points after NFKC). Default 8; at least 8. */
  minLength?: number
  /** Most characters, checked before any hashing. Default 256; at most 1024. */
  maxLength?: number
  /** Refuse the ~49,000 most common passwords. Default true. */
  blockCommon?: boolean
  /** More passwords to refuse (compared case-insensitively), such as your product's name. */
  blocklist?: readonly string[]
}

/** A policy with its defaults filled in and the blocklist loaded. */
export interface PasswordPolicy {
  readonly minLength: number
  readonly maxLength: number
  readonly blocked: ReadonlySet<string>
}

function refuse(field: string, why: string, reason: string): AuthError {
  return new AuthError('ERR_AUTH_PASSWORD_WEAK', `${field} ${why}`, { details: { field, reason } })
}

/** Fills in defaults and checks the policy options (UsageError on misuse). */
export function resolvePolicy(options: PasswordPolicyOptions, common: ReadonlySet<string>): PasswordPolicy {
  const minLength = options.minLength ?? 8
  const maxLength = options.maxLength ?? 256
  if (!Number.isInteger(minLength) || minLength < 8) throw new UsageError('passwordPolicy.minLength must be an integer of at least 8')
  if (!Number.isInteger(maxLength) || maxLength < minLength || maxLength > 1024) {
    throw new UsageError('passwordPolicy.maxLength must be an integer between minLength and 1024')
  }
  const extra = (options.blocklist ?? []).map((w) => w.normalize('NFKC').toLowerCase())
  const blocked = options.blockCommon === false ? new Set(extra) : extra.length ? new Set([...common, ...extra]) : common
  return Object.freeze({ minLength, maxLength, blocked })
}

/**
 * Length before normalising, to bound the work (NFKC output is at most a few
 * times its input), then NFKC, then the policy. Returns the normalised
 * password, which is what gets hashed. Never case-folded.
 */
export function normalizePassword(raw: string, maxLength: number, field = 'pass'): string {
  if (raw.length > maxLength * 4) throw refuse(field, `must be at most ${maxLength} characters`, 'too-long')
  const pass = raw.normalize('NFKC')
  if ([...pass].length > maxLength) throw refuse(field, `must be at most ${maxLength} characters`, 'too-long')
  return pass
}

/** Checks a new password against the policy and returns it normalised; each refusal says why. */
export function checkNewPassword(raw: string, policy: PasswordPolicy, field = 'pass'): string {
  const pass = normalizePassword(raw, policy.maxLength, field)
  if ([...pass].length < policy.minLength) throw refuse(field, `must be at least ${policy.minLength} characters`, 'too-short')
  if (policy.blocked.has(pass.toLowerCase())) {
    throw refuse(field, 'is one of the most commonly used passwords; choose another', 'common')
  }
  return pass
}
