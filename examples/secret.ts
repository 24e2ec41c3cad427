// The secret the example servers sign tokens with.
import { randomBytes } from 'node:crypto'

/** AUTHCORE_SECRET, or a random secret (with a warning) when it is not set. */
export function secret(): string {
  if (process.env.AUTHCORE_SECRET) return process.env.AUTHCORE_SECRET
  // A random secret works, but every restart signs everyone out.
  console.warn('AUTHCORE_SECRET is not set: using a random secret; tokens will not survive a restart.')
  return randomBytes(32).toString('base64url')
}
