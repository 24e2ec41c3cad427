import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { AuthError, UsageError } from '../errors.js'
import { commonPasswords } from './blocklist.js'
import { HashQueue } from './hash-queue.js'
import { argon2Hasher, type Argon2Params, type PasswordHasher } from './hasher.js'
import { checkNewPassword, normalizePassword, resolvePolicy, type PasswordPolicy, type PasswordPolicyOptions } from './policy.js'

/** The `passwordPolicy` option: what a password must be and how it is hashed. */
export interface PasswordOptions extends PasswordPolicyOptions {
  /** argon2id cost, at least OWASP's m=19456 KiB, t=2, p=1 (the default). Raising it re-hashes users on their next sign-in. */
  argon2?: Argon2Params
  /** Replace argon2id entirely (it must still verify existing hashes it cares about). */
  hasher?: PasswordHasher
  /** Hashes running at once. Default: libuv's thread-pool size (4 unless `UV_THREADPOOL_SIZE` is set) or the core count, whichever is larger. Lower it to trade throughput for event-loop latency. */
  maxConcurrentHashes?: number
  /** Hashes allowed to wait; beyond this a sign-in gets `ERR_AUTH_BUSY` at once. Default 256. */
  maxQueuedHashes?: number
}

/**
 * Everything the operations do with passwords: policy checks, hashing and
 * verifying through a bounded queue, and the dummy hash that makes an
 * unknown email cost the same as a wrong password.
 */
export class PasswordService {
  readonly #hasher: PasswordHasher
  readonly #policy: PasswordPolicy
  readonly #queue: HashQueue
  readonly #dummyHash: string

  private constructor(hasher: PasswordHasher, policy: PasswordPolicy, queue: HashQueue, dummyHash: string) {
    this.#hasher = hasher
    this.#policy = policy
    this.#queue = queue
    this.#dummyHash = dummyHash
  }

  /** Loads the blocklist and makes the dummy hash (one hash, at `ready()`). */
  static async create(options: PasswordOptions = {}): Promise<PasswordService> {
    const hasher = options.hasher ?? argon2Hasher(options.argon2)
    for (const fn of ['hash', 'verify', 'needsRehash'] as const) {
      if (typeof hasher[fn] !== 'function') throw new UsageError(`passwordPolicy.hasher.${fn} must be a function`)
    }
    const policy = resolvePolicy(options, options.blockCommon === false ? new Set() : await commonPasswords())
    // As many hashes as libuv has threads (4 unless UV_THREADPOOL_SIZE says
    // otherwise), or cores if there are more: measured on 2 vCPUs, capping at
    // the core count cost about 15% of sign-in throughput at concurrency 4
    // for 3 ms less event-loop delay p99 (docs/benchmarks.md).
    const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4
    const queue = new HashQueue(options.maxConcurrentHashes ?? Math.max(threads, availableParallelism()), options.maxQueuedHashes ?? 256)
    const dummyHash = await hasher.hash(randomBytes(24).toString('base64url'))
    return new PasswordService(hasher, policy, queue, dummyHash)
  }

  /** A new password, checked against the policy and NFKC-normalised; throws `ERR_AUTH_PASSWORD_WEAK` saying why. */
  checkNew(raw: string, field = 'pass'): string {
    return checkNewPassword(raw, this.#policy, field)
  }

  /** A presented password, length-bounded and normalised, with no policy (old passwords still sign in). */
  normalize(raw: string, field = 'pass'): string {
    return normalizePassword(raw, this.#policy.maxLength, field)
  }

  /** Refuses at once with `ERR_AUTH_BUSY` when no hash could be queued now (checked before counting an attempt). */
  assertCapacity(): void {
    if (this.#queue.full) throw new AuthError('ERR_AUTH_BUSY')
  }

  /** Hashes a normalised password. */
  hash(pass: string): Promise<string> {
    return this.#queue.run(() => this.#hasher.hash(pass))
  }

  /**
   * Checks `pass` against `hash`. A missing, corrupt or legacy hash that
   * does not match also pays for a full verify of the dummy hash, so the
   * answer's timing says nothing about the account.
   */
  verify(hash: string | null | undefined, pass: string): Promise<boolean> {
    return this.#queue.run(async () => {
      if (typeof hash !== 'string' || hash === '') {
        await this.#hasher.verify(this.#dummyHash, pass)
        return false
      }
      if (!this.#hasher.needsRehash(hash)) return this.#hasher.verify(hash, pass)
      // A legacy or weaker hash runs beside the dummy: the answer takes as
      // long as the slower of the two, never their sum, so a wrong password
      // on an old account costs what an unknown email costs.
      const [ok] = await Promise.all([this.#hasher.verify(hash, pass), this.#hasher.verify(this.#dummyHash, pass)])
      return ok
    })
  }

  /** True when a hash should be replaced after a successful sign-in. */
  needsRehash(hash: string): boolean {
    return this.#hasher.needsRehash(hash)
  }
}
