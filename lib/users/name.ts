import { AuthError } from '../errors.js'

/** Longest display name, in characters. */
export const MAX_NAME_LENGTH = 200

/** Trims and NFKC-normalises a display name; refuses empty, control characters and over-long names. */
export function normalizeName(raw: unknown, field = 'name'): string {
  const name = typeof raw === 'string' ? raw.trim().normalize('NFKC') : ''
  // Hooks may set the name, so the checks run here too, not only in the schema.
  // Bidirectional overrides and isolates let a name display as something else.
  if (name === '' || [...name].length > MAX_NAME_LENGTH || /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(name)) {
    throw new AuthError('ERR_AUTH_INPUT_INVALID', `${field} must be 1 to ${MAX_NAME_LENGTH} characters with no control or direction-override characters`, {
      details: { field },
    })
  }
  return name
}
