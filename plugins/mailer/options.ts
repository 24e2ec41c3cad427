/**
 * Option checks shared by the mailers: the project's ajv schemas, with each
 * failure turned into a `TypeError` that names the field. A mailer is built
 * at start-up by the app's own code, so a bad option is caller misuse, not
 * untrusted input (and never an `AuthError`).
 */
import type { ValidateFunction } from 'ajv'
import { describeErrors } from '../../lib/schema.js'

/**
 * Throws `TypeError` ("`factory`: field must be ...; other problems") unless
 * `options` passes `validate`. Messages name fields, never their values, so a
 * password in a bad option cannot end up in a log.
 */
export function checkOptions(validate: ValidateFunction, options: unknown, factory: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${factory}: options must be an object`)
  }
  if (!validate(options)) throw new TypeError(`${factory}: ${describeErrors(validate.errors ?? [], 'option').join('; ')}`)
}

/** A whole number of milliseconds from 1 to `max`, for timeouts and windows. */
export const milliseconds = (max: number) => ({ type: 'integer', minimum: 1, maximum: max }) as const

/** Text with no control character (CR, LF, NUL, tab, DEL, C1): safe in a mail header. */
export const NO_CONTROL = '^[^\\p{Cc}]*$'
