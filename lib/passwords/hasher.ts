import { hash as argon2Hash, parseOptions, verify as argon2Verify, type Options as Argon2Options } from '@node-rs/argon2'
import { verify as bcryptVerify } from '@node-rs/bcrypt'
import { UsageError } from '../errors.js'

/**
 * Hashes and checks passwords. `verify` never throws for a corrupt or foreign
 * hash: it answers false. Swap in your own (scrypt, a KMS) through
 * `basic({ hasher })`.
 */
export interface PasswordHasher {
  /** A self-describing hash of `password` (PHC string format for argon2id). */
  hash(password: string): Promise<string>
  /** True when `password` matches `hash`. */
  verify(hash: string, password: string): Promise<boolean>
  /** True when `hash` was made by a legacy scheme or weaker parameters and should be replaced on the next sign-in. */
  needsRehash(hash: string): boolean
}

/** argon2id cost parameters. */
export interface Argon2Params {
  /** Memory in KiB. At least 19456 (OWASP's floor). */
  memoryCost?: number
  /** Iterations. At least 2. */
  timeCost?: number
  /** Lanes. At least 1. */
  parallelism?: number
}

/** OWASP's recommended argon2id minimum: m=19 MiB, t=2, p=1. */
export const ARGON2_MINIMUM = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 })

// @node-rs/argon2 declares its Algorithm enum as a const enum, which isolated
// modules cannot read: 2 is Argon2id.
const ARGON2ID = 2
const BCRYPT_PREFIX = /^\$2[abxy]\$\d\d\$/

/**
 * The default hasher: argon2id with explicit parameters (never below
 * {@link ARGON2_MINIMUM}); legacy bcrypt hashes (Space Cloud's `pass` column)
 * verify and report `needsRehash`. Both run on libuv's thread pool, so the
 * event loop never waits on a hash.
 */
export function argon2Hasher(params: Argon2Params = {}): PasswordHasher {
  const options: Argon2Options = Object.freeze({
    algorithm: ARGON2ID,
    memoryCost: params.memoryCost ?? ARGON2_MINIMUM.memoryCost,
    timeCost: params.timeCost ?? ARGON2_MINIMUM.timeCost,
    parallelism: params.parallelism ?? ARGON2_MINIMUM.parallelism,
  })
  for (const [name, min] of Object.entries(ARGON2_MINIMUM)) {
    const value = options[name as keyof typeof ARGON2_MINIMUM]
    if (!Number.isInteger(value) || value! < min) throw new UsageError(`argon2 ${name} must be an integer of at least ${min}`)
  }
  return Object.freeze({
    hash: (password: string) => argon2Hash(password, options),
    async verify(hash: string, password: string): Promise<boolean> {
      try {
        if (BCRYPT_PREFIX.test(hash)) return await bcryptVerify(password, hash)
        if (!hash.startsWith('$argon2')) return false
        return await argon2Verify(hash, password)
      } catch {
        return false
      }
    },
    needsRehash(hash: string): boolean {
      if (!hash.startsWith('$argon2id$')) return true
      try {
        const used = parseOptions(hash)
        return used.memoryCost < options.memoryCost! || used.timeCost < options.timeCost! || used.parallelism < options.parallelism!
      } catch {
        return true
      }
    },
  })
}
