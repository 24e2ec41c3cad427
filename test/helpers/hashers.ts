// A salted SHA-256 stand-in for argon2id, for tests about something other
// than hashing cost (floods, links, races): thousands of hashes take
// milliseconds, and a wrong password still fails.
import { createHash, randomBytes } from 'node:crypto'
import type { PasswordHasher } from '../../lib/index.js'

export const fastHasher: PasswordHasher = {
  async hash(pass) {
    const salt = randomBytes(8).toString('base64url')
    return `fast$${salt}$${createHash('sha256').update(`${salt}:${pass}`).digest('base64url')}`
  },
  async verify(hash, pass) {
    const [, salt = '', digest] = hash.split('$')
    return createHash('sha256').update(`${salt}:${pass}`).digest('base64url') === digest
  },
  needsRehash: () => false,
}
