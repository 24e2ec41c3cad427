import { importJWK, type JWK } from 'jose'
import { AuthError } from '../errors.js'
import { readBounded } from '../read-bounded.js'
import type { Algorithm } from '../options.js'
import type { VerifyKey } from './key-ring.js'

/** Largest JWKS document read, in bytes. */
const MAX_JWKS_BYTES = 256 * 1024
const MAX_KEYS = 100

/** The algorithm a public JWK may verify, fixed by its key type; undefined when not one we accept. */
function algorithmOf(jwk: Record<string, unknown>): Exclude<Algorithm, 'HS256'> | undefined {
  const derived =
    jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : jwk.kty === 'OKP' && jwk.crv === 'Ed25519' ? 'EdDSA' : undefined
  // A JWK that names an algorithm must name the one its key type implies.
  if (jwk.alg !== undefined && jwk.alg !== derived) return undefined
  return derived
}

async function importRemoteKey(jwk: unknown): Promise<VerifyKey | undefined> {
  if (jwk === null || typeof jwk !== 'object') return undefined
  const key = jwk as Record<string, unknown>
  // Never private or symmetric material from the network; only signature keys.
  if ('d' in key || key.kty === 'oct' || (key.use !== undefined && key.use !== 'sig')) return undefined
  const alg = algorithmOf(key)
  if (!alg) return undefined
  const kid = typeof key.kid === 'string' ? key.kid : undefined
  try {
    const imported = (await importJWK(key as JWK, alg)) as CryptoKey
    return Object.freeze({ kid, alg, key: imported })
  } catch {
    return undefined
  }
}

async function readJwks(response: Response): Promise<string> {
  const tooLarge = () => new Error('JWKS response too large')
  if (Number(response.headers.get('content-length') ?? 0) > MAX_JWKS_BYTES) throw tooLarge()
  if (!response.body) return ''
  return (await readBounded(response.body, MAX_JWKS_BYTES, tooLarge)).toString('utf8')
}

/** Settings of a {@link RemoteKeySet}, all in seconds. */
export interface RemoteKeySetOptions {
  cacheMaxAge: number
  cooldown: number
  timeout: number
  now: () => number
  /** Called when a refetch changed which keys are trusted. */
  onChange?: () => void
}

/**
 * Verify-only public keys from a JWKS URL. Fetched on first use, refetched
 * when older than `cacheMaxAge`, and on an unknown `kid` at most once per
 * `cooldown`, so tokens with made-up `kid`s cannot make us hammer the URL.
 * A failed refetch keeps the last good set.
 */
export class RemoteKeySet {
  readonly #url: URL
  readonly #options: RemoteKeySetOptions
  #keys: readonly VerifyKey[] | undefined
  #fetchedAt = -Infinity
  #attemptedAt = -Infinity
  #inFlight: Promise<void> | undefined
  #lastError: unknown

  constructor(url: URL, options: RemoteKeySetOptions) {
    this.#url = url
    this.#options = options
  }

  async #fetch(): Promise<void> {
    this.#attemptedAt = this.#options.now()
    try {
      const response = await fetch(this.#url, {
        redirect: 'error',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.#options.timeout * 1000),
      })
      if (!response.ok) throw new Error(`JWKS answered HTTP ${response.status}`)
      const body = JSON.parse(await readJwks(response)) as { keys?: unknown }
      if (!Array.isArray(body.keys)) throw new Error('JWKS document has no keys array')
      const imported = await Promise.all(body.keys.slice(0, MAX_KEYS).map(importRemoteKey))
      const keys = imported.filter((k): k is VerifyKey => k !== undefined)
      const changed = this.#keys !== undefined
      this.#keys = Object.freeze(keys)
      this.#fetchedAt = this.#options.now()
      if (changed) this.#options.onChange?.()
    } catch (cause) {
      // Keep the last good set; remember why, for the error when there is none.
      this.#lastError = cause
    }
  }

  #refresh(): Promise<void> {
    this.#inFlight ??= this.#fetch().finally(() => {
      this.#inFlight = undefined
    })
    return this.#inFlight
  }

  /**
   * Keys that may have signed a token with this `kid` (every key when the
   * token names none). Refetches as described on the class.
   */
  async candidates(kid: string | undefined): Promise<readonly VerifyKey[]> {
    const { cacheMaxAge, cooldown, now } = this.#options
    const mayFetch = () => now() - this.#attemptedAt > cooldown * 1000
    const stale = this.#keys === undefined || now() - this.#fetchedAt > cacheMaxAge * 1000
    if (stale && mayFetch()) await this.#refresh()
    else if (this.#inFlight) await this.#inFlight
    if (this.#keys === undefined) throw new AuthError('ERR_AUTH_JWKS_UNAVAILABLE', undefined, { cause: this.#lastError })
    const match = () => this.#keys!.filter((k) => kid === undefined || k.kid === kid)
    let found = match()
    if (found.length === 0 && kid !== undefined && mayFetch()) {
      await this.#refresh()
      found = match()
    }
    return found
  }
}
