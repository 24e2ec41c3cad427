import { decodeProtectedHeader, errors as jose, jwtVerify, type JWTPayload, type JWTVerifyOptions, type ProtectedHeaderParameters } from 'jose'
import { AuthError, UsageError, type AuthErrorCode } from '../errors.js'
import { ALGORITHMS, type Algorithm } from '../options.js'
import type { ResolvedOptions } from '../options-validate.js'
import type { AccessClaims } from './claims.js'
import type { KeyRing, VerifyKey } from './key-ring.js'
import type { RemoteKeySet } from './remote-key-set.js'
import { VerifiedTokenCache } from './verified-cache.js'
import { BoundedMap } from '../bounded-map.js'
import { isCanonicalCompactJws } from './canonical-jws.js'

/** `typ` values an access token may carry (compared lower-case, without `application/`). */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt'])

const fail = (code: AuthErrorCode, message?: string, cause?: unknown): never => {
  throw new AuthError(code, message, cause === undefined ? {} : { cause })
}

/** Maps jose's failures to our codes; the jose error stays as `cause`. */
function fromJose(err: unknown): AuthError {
  if (err instanceof AuthError) return err
  if (err instanceof jose.JWTExpired) return new AuthError('ERR_AUTH_TOKEN_EXPIRED', undefined, { cause: err })
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || (err.claim === 'iat' && err.reason === 'check_failed')) {
      return new AuthError('ERR_AUTH_TOKEN_NOT_YET_VALID', undefined, { cause: err })
    }
    return new AuthError('ERR_AUTH_TOKEN_CLAIM_INVALID', `Token claim '${err.claim}' is missing or invalid`, { cause: err })
  }
  if (err instanceof jose.JWSSignatureVerificationFailed) return new AuthError('ERR_AUTH_TOKEN_SIGNATURE_INVALID', undefined, { cause: err })
  if (err instanceof jose.JOSEAlgNotAllowed) return new AuthError('ERR_AUTH_TOKEN_ALG_NOT_ALLOWED', undefined, { cause: err })
  return new AuthError('ERR_AUTH_TOKEN_MALFORMED', undefined, { cause: err })
}

type CheckedHeader = { readonly alg: Algorithm; readonly kid: string | undefined }

function checkHeader(encoded: string): CheckedHeader {
  let header: ProtectedHeaderParameters
  try {
    // decodeProtectedHeader reads only the first segment.
    header = decodeProtectedHeader(`${encoded}..`)
  } catch (cause) {
    return fail('ERR_AUTH_TOKEN_MALFORMED', undefined, cause)
  }
  if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg as Algorithm)) fail('ERR_AUTH_TOKEN_ALG_NOT_ALLOWED')
  if (header.typ !== undefined) {
    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : ''
    if (!ACCEPTED_TYPES.has(typ)) fail('ERR_AUTH_TOKEN_TYPE_INVALID')
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') fail('ERR_AUTH_TOKEN_MALFORMED')
  return Object.freeze({ alg: header.alg as Algorithm, kid: header.kid })
}

// Tokens from one issuer share their header segment, so the checked result is
// remembered by it. Bounded, and only headers that passed are kept.
const checkedHeaders = new BoundedMap<string, CheckedHeader>(256)

/** The checked `alg` and `kid` of a compact JWS; refuses other shapes, `none`, unknown algorithms and wrong `typ`s. */
function readHeader(token: string): CheckedHeader {
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  // A JWE or anything that is not three dot-separated parts is not ours to read.
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) !== -1) fail('ERR_AUTH_TOKEN_MALFORMED')
  const encoded = token.slice(0, first)
  let header = checkedHeaders.get(encoded)
  if (header === undefined) {
    header = checkHeader(encoded)
    checkedHeaders.set(encoded, header)
  }
  return header
}

/**
 * Fills `sub` from `id` and the other way round; refuses tokens where they
 * disagree or neither is a string, and claims AuthCore reads of the wrong
 * type (`ver`, `email`, `role`, `sid`, `amr`).
 */
function toClaims(payload: JWTPayload): AccessClaims {
  const sub = payload.sub ?? payload.id
  const id = payload.id ?? payload.sub
  if (typeof sub !== 'string' || sub === '' || sub !== id) fail('ERR_AUTH_TOKEN_CLAIM_INVALID', "Token claim 'sub' is missing or invalid")
  if (payload.ver !== undefined && !(Number.isSafeInteger(payload.ver) && (payload.ver as number) >= 0)) {
    fail('ERR_AUTH_TOKEN_CLAIM_INVALID', "Token claim 'ver' is missing or invalid")
  }
  for (const claim of ['email', 'role', 'sid'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'string') {
      fail('ERR_AUTH_TOKEN_CLAIM_INVALID', `Token claim '${claim}' is missing or invalid`)
    }
  }
  const { amr } = payload
  if (amr === undefined) return Object.freeze({ ...payload, sub, id: sub }) as AccessClaims
  if (!Array.isArray(amr) || !amr.every((m) => typeof m === 'string')) fail('ERR_AUTH_TOKEN_CLAIM_INVALID', "Token claim 'amr' is missing or invalid")
  // Frozen too: verified claims are cached and shared by every caller presenting the token.
  return Object.freeze({ ...payload, sub, id: sub, amr: Object.freeze([...(amr as string[])]) }) as AccessClaims
}

/**
 * Verifies access tokens: the size cap first, then the cache of tokens seen
 * before, then the canonical base64url spelling of each segment, the header
 * (algorithm allow-list, `typ`), the key chosen by
 * `kid` with its one algorithm, and jose for signature and claims.
 */
export class TokenVerifier {
  readonly #options: ResolvedOptions
  readonly #ring: Promise<KeyRing>
  #ringValue: KeyRing | undefined
  readonly #remote: RemoteKeySet | undefined
  readonly #cache: VerifiedTokenCache
  readonly #joseOptions = new WeakMap<VerifyKey, JWTVerifyOptions>()

  constructor(options: ResolvedOptions, ring: Promise<KeyRing>, remote: RemoteKeySet | undefined) {
    this.#options = options
    this.#ring = ring
    ring.then((value) => (this.#ringValue = value), () => undefined)
    this.#remote = remote
    this.#cache = new VerifiedTokenCache(options.verifyCacheSize)
  }

  /** The cache of verified tokens, so revocation can drop entries. */
  get cache(): VerifiedTokenCache {
    return this.#cache
  }

  /**
   * The keys that may have signed a token with this header, all of its
   * algorithm. Synchronous once the key ring is imported, unless the JWKS
   * must be asked (a kid no local key has).
   */
  #candidates(header: CheckedHeader): readonly VerifyKey[] | Promise<readonly VerifyKey[]> {
    const ring = this.#ringValue
    if (ring === undefined) {
      return this.#ring.then(
        () => this.#candidates(header),
        (cause: unknown) => fail('ERR_AUTH_KEY_INVALID', undefined, cause),
      )
    }
    // A token that names a kid is checked only with that key. One that names
    // none (Space Cloud and other services sharing a secret) is tried against
    // every key of its algorithm.
    const local = header.kid === undefined ? ring.verifying : ring.verifying.filter((k) => k.kid === header.kid)
    if (this.#remote && !local.some((k) => k.alg === header.alg)) return this.#remote.candidates(header.kid).then((found) => sameAlg(found, header))
    return sameAlg(local, header)
  }

  /** jose's options for a key: built once per key, with the clock only when a custom one is set. */
  #verifyOptions(candidate: VerifyKey, now: number): JWTVerifyOptions {
    let base = this.#joseOptions.get(candidate)
    if (base === undefined) {
      const { issuer, audience, clockTolerance } = this.#options
      base = Object.freeze({
        algorithms: [candidate.alg],
        requiredClaims: ['exp'],
        clockTolerance,
        ...(issuer && { issuer: [...issuer] }),
        ...(audience && { audience: [...audience] }),
      })
      this.#joseOptions.set(candidate, base)
    }
    return this.#options.now === Date.now ? base : { ...base, currentDate: new Date(now) }
  }

  /** Verifies `token` and returns its claims (frozen); throws an AuthError with a specific code. */
  async verify(token: string): Promise<AccessClaims> {
    if (typeof token !== 'string') throw new UsageError('verify(token) needs the token as a string')
    if (token.length > this.#options.maxTokenSize) fail('ERR_AUTH_TOKEN_TOO_LARGE')
    const now = this.#options.now()
    const cached = this.#cache.get(token, now)
    if (cached) return cached

    // Only canonical spellings may verify, so only they can enter the cache:
    // a hit above is canonical by construction and skips this check.
    if (!isCanonicalCompactJws(token)) fail('ERR_AUTH_TOKEN_MALFORMED')
    const header = readHeader(token)
    const found = this.#candidates(header)
    const candidates = Array.isArray(found) ? (found as readonly VerifyKey[]) : await found
    let lastError: unknown
    for (const candidate of candidates) {
      try {
        const { payload } = await jwtVerify(token, candidate.key, this.#verifyOptions(candidate, now))
        const claims = toClaims(payload)
        this.#cache.set(token, claims)
        return claims
      } catch (err) {
        // With several keys of one algorithm and no kid, a signature mismatch means "try the next key".
        if (!(err instanceof jose.JWSSignatureVerificationFailed)) throw fromJose(err)
        lastError = err
      }
    }
    throw fromJose(lastError)
  }
}

/** The keys of the header's algorithm: the algorithm is the key's, never the header's (HS256 against an RSA key is refused here). */
function sameAlg(found: readonly VerifyKey[], header: CheckedHeader): readonly VerifyKey[] {
  if (found.length === 0) fail('ERR_AUTH_TOKEN_KEY_UNKNOWN')
  // The common case (one key, of the token's algorithm) allocates nothing.
  const matching = found.length === 1 && found[0]!.alg === header.alg ? found : found.filter((k) => k.alg === header.alg)
  if (matching.length === 0) fail('ERR_AUTH_TOKEN_ALG_NOT_ALLOWED')
  return matching
}
