import { isIPv4 } from 'node:net'
import { domainToASCII, domainToUnicode } from 'node:url'
import { AuthError } from './errors.js'

/**
 * Longest email accepted, in characters (RFC 5321's path limit less the
 * brackets). Both the display form and the key must fit: the key is what the
 * `email_key` column holds, and lower-casing can make it longer.
 */
export const MAX_EMAIL_LENGTH = 254

/** An email as the user typed it (display form) and the key it is unique by. */
export interface NormalizedEmail {
  /** Trimmed and NFKC-normalised; case and domain spelling kept as typed. */
  readonly email: string
  /**
   * Canonical key: the local part lower-cased, `@`, the domain after UTS-46
   * processing in its Unicode form, lower-cased. `Alice@Example.COM` and
   * `alice@example.com` share it, and so do `a@bücher.de` and `a@xn--bcher-kva.de`.
   */
  readonly key: string
}

// One '@' with something on each side and a dot-free-or-dotted domain; no
// spaces, quotes, commas, angle brackets, semicolons or control characters,
// which is what header injection and address-list tricks need.
const EMAIL_RE = /^[^\s@",;<>()[\]\\\p{Cc}\p{Cf}]+@[^\s@",;<>()[\]\\\p{Cc}\p{Cf}]+$/u

// Characters that render as nothing or as blank space, so an address holding
// one looks the same as one without it (or as another with a different one):
// the default-ignorables (zero-width characters, soft hyphen, variation
// selectors, Hangul fillers, U+034F, U+180E, tags), every separator, and the
// blank-looking characters Unicode does not class as ignorable: U+2800 BRAILLE
// PATTERN BLANK and U+1D159 MUSICAL SYMBOL NULL NOTEHEAD.
const INVISIBLE_RE = /[\p{Default_Ignorable_Code_Point}\p{Z}\u2800\u{1D159}]/u

const NOT_AN_ADDRESS = 'must be one email address, like name@example.com'

/**
 * Validates and normalises an email. Throws `ERR_AUTH_INPUT_INVALID` naming
 * `field` when it is not an address we accept: over {@link MAX_EMAIL_LENGTH}
 * (display form or key), not one `local@domain`, holding an invisible
 * character, or with a domain UTS-46 refuses.
 */
export function normalizeEmail(raw: string, field = 'email'): NormalizedEmail {
  // Bound the work before normalising: NFKC can grow a string, but not from nothing.
  if (raw.length > MAX_EMAIL_LENGTH * 4) throw invalid(field, `must be at most ${MAX_EMAIL_LENGTH} characters`)
  const email = raw.trim().normalize('NFKC')
  if (email.length === 0) throw invalid(field, 'is required')
  if (email.length > MAX_EMAIL_LENGTH) throw invalid(field, `must be at most ${MAX_EMAIL_LENGTH} characters`)
  if (!EMAIL_RE.test(email)) throw invalid(field, NOT_AN_ADDRESS)
  if (INVISIBLE_RE.test(email)) throw invalid(field, 'must not contain invisible or blank characters')
  const at = email.indexOf('@')
  const domain = email.slice(at + 1)
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) throw invalid(field, NOT_AN_ADDRESS)
  const key = `${email.slice(0, at).toLowerCase()}@${domainKey(domain, field)}`
  // The key can be longer than the display form ('İ' lower-cases to two code
  // units), and it is what the database stores: check it before any write.
  if (key.length > MAX_EMAIL_LENGTH) throw invalid(field, `must be at most ${MAX_EMAIL_LENGTH} characters once normalised`)
  return Object.freeze({ email, key })
}

/**
 * The domain's part of the key: one spelling per domain, so the Unicode form
 * and its `xn--` (Punycode) form are one account. The Unicode form is chosen
 * because keys stored before IDN folding were lower-cased Unicode, so they
 * stay valid; only keys of `xn--` domains changed.
 */
function domainKey(domain: string, field: string): string {
  // The host parser percent-decodes: '%65xample.com' would key as 'example.com'
  // while mail goes to the undeliverable form as typed.
  if (domain.includes('%')) throw invalid(field, NOT_AN_ADDRESS)
  const ascii = domainToASCII(domain)
  // Checked again after mapping: ideographic full stops ('。', '｡') become dots there.
  if (ascii === '' || ascii.startsWith('.') || ascii.endsWith('.') || ascii.includes('..')) throw invalid(field, NOT_AN_ADDRESS)
  // The URL host parser reads a numeric last label as an IPv4 address and
  // rewrites it ('1' becomes '0.0.0.1'): a host no mail goes to, and a silent
  // key change. Only a plain dotted quad, written as such, passes.
  if (isIPv4(ascii) && ascii !== domain) throw invalid(field, NOT_AN_ADDRESS)
  const unicode = domainToUnicode(ascii).toLowerCase()
  // Punycode can spell what the typed form was refused for (a blank label).
  if (unicode === '' || INVISIBLE_RE.test(unicode) || !EMAIL_RE.test(`x@${unicode}`)) throw invalid(field, NOT_AN_ADDRESS)
  return unicode
}

// RFC 5322 dot-atom text, with letters and digits of any script (SMTPUTF8):
// what a mail library sends exactly as written, with no quoting or group syntax.
const DOT_ATOM_LOCAL = /^[\p{L}\p{N}\p{M}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}\p{M}!#$%&'*+/=?^_`{|}~-]+)*$/u

/**
 * Refuses, with `ERR_AUTH_INPUT_INVALID` naming `field`, an address that is
 * valid as an account key but that a mail library could send somewhere other
 * than what was checked: a local part outside RFC 5322's dot-atom (a `:`
 * reads as group syntax and gets quoted), or holding a MIME encoded-word
 * (`=?...?=`, which a client may decode into another address). Use it before
 * mailing an address typed by a client.
 */
export function assertMailable(email: NormalizedEmail, field = 'email'): void {
  const local = email.email.slice(0, email.email.lastIndexOf('@'))
  if (!DOT_ATOM_LOCAL.test(local) || local.includes('=?')) throw invalid(field, 'is not an address mail can be sent to as written')
}

function invalid(field: string, why: string): AuthError {
  return new AuthError('ERR_AUTH_INPUT_INVALID', `${field} ${why}`, { details: { field } })
}
