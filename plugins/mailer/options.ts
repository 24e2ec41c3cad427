/**
 * Option checks shared by the mailers: the public `optionsCheck` (AuthCore's
 * ajv), with each failure a `UsageError` (a `TypeError`) that names the
 * field. A mailer is built at start-up by the app's own code, so a bad option
 * is caller misuse, not untrusted input (and never an `AuthError`).
 */
import { optionsCheck, UsageError } from '../../lib/index.js'

/**
 * Compiles `schema` once and returns the check a mailer factory runs on its
 * options: it throws `UsageError` ("`factory`: options must be an object", or
 * "`factory`: field must be ...; other problems") unless `options` is an
 * object that passes. Messages name fields, never their values, so a password
 * in a bad option cannot end up in a log.
 */
export function mailerOptionsCheck(schema: object, factory: string): (options: unknown) => void {
  const check = optionsCheck(schema, factory)
  return (options) => {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new UsageError(`${factory}: options must be an object`)
    }
    check(options)
  }
}

/** A whole number of milliseconds from 1 to `max`, for timeouts and windows. */
export const milliseconds = (max: number) => ({ type: 'integer', minimum: 1, maximum: max }) as const

/** Text with no control character (CR, LF, NUL, tab, DEL, C1): safe in a mail header. */
export const NO_CONTROL = '^[^\\p{Cc}]*$'
