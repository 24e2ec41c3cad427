import { createHash, createPrivateKey, createPublicKey, KeyObject, webcrypto, type JsonWebKey } from 'node:crypto'
import type { Algorithm, KeyMaterial, KeyOptions } from '../options.js'

/** Shortest HS256 secret accepted, in bytes (RFC 7518 section 3.2: at least the hash size). */
export const MIN_SECRET_BYTES = 32

/** A configured key after its material was parsed and checked against its algorithm. */
export interface NormalizedKey {
  readonly kid: string | undefined
  readonly alg: Algorithm
  readonly use: 'sign' | 'verify'
  /** HS256 only. */
  readonly secret?: Uint8Array
  /** Asymmetric keys that sign. */
  readonly privateKey?: KeyObject
  /** Asymmetric keys: what verifies (derived from the private key when one is given). */
  readonly publicKey?: KeyObject
}

/** Thrown while normalising; the options validator turns it into one line of its message. */
export class KeyMaterialError extends Error {}

const ASYMMETRIC_TYPE: Record<Exclude<Algorithm, 'HS256'>, string> = {
  RS256: 'rsa',
  ES256: 'ec',
  EdDSA: 'ed25519',
}

/** Turns a string or bytes secret into bytes, refusing short ones. */
export function secretBytes(secret: string | Uint8Array, field: string): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret)
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new KeyMaterialError(
      `${field} must be at least ${MIN_SECRET_BYTES} bytes long (got ${bytes.byteLength}); generate one with: node -e "console.log(crypto.randomBytes(32).toString('base64url'))"`,
    )
  }
  return bytes
}

/** Node 20 has no CryptoKey constructor to test against, so recognise one by its tag. */
function isCryptoKey(value: unknown): value is webcrypto.CryptoKey {
  return Object.prototype.toString.call(value) === '[object CryptoKey]'
}

function toKeyObject(material: KeyMaterial, kind: 'private' | 'public', field: string): KeyObject {
  const key = readKeyObject(material, kind, field)
  if (kind === 'private' && key.type !== 'private') throw new KeyMaterialError(`${field} is not a private key`)
  return key
}

function readKeyObject(material: KeyMaterial, kind: 'private' | 'public', field: string): KeyObject {
  try {
    if (material instanceof KeyObject) {
      return kind === 'public' && material.type === 'private' ? createPublicKey(material) : material
    }
    if (isCryptoKey(material)) return KeyObject.from(material)
    const input = typeof material === 'string' ? material : { key: material as JsonWebKey, format: 'jwk' as const }
    return kind === 'private' ? createPrivateKey(input) : createPublicKey(input)
  } catch (cause) {
    throw new KeyMaterialError(`${field} is not a readable ${kind} key (PEM, JWK, KeyObject or CryptoKey)`, { cause })
  }
}

function checkAsymmetric(key: KeyObject, alg: Exclude<Algorithm, 'HS256'>, field: string): void {
  const type = key.asymmetricKeyType
  if (type !== ASYMMETRIC_TYPE[alg]) {
    throw new KeyMaterialError(`${field} is a key of type ${type ?? 'secret'}, but alg ${alg} needs type ${ASYMMETRIC_TYPE[alg]}`)
  }
  const details = key.asymmetricKeyDetails
  if (alg === 'RS256' && (details?.modulusLength ?? 0) < 2048) {
    throw new KeyMaterialError(`${field} is an RSA key shorter than 2048 bits`)
  }
  if (alg === 'ES256' && details?.namedCurve !== 'prime256v1') {
    throw new KeyMaterialError(`${field} must be on the P-256 curve for ES256`)
  }
}

/** RFC 7638 thumbprint of a public key, used as its `kid` when none is configured. */
export function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>
  const members = jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x']
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])))
  return createHash('sha256').update(canonical).digest('base64url')
}

/**
 * Parses and checks one configured key. `field` names it in messages
 * (`keys[2]`), `secretField` its secret (`keys[2].secret`, or `secret` for
 * the shortcut option). Throws {@link KeyMaterialError} with a sentence a
 * person understands.
 */
export function normalizeKey(options: KeyOptions, field: string, secretField = `${field}.secret`): NormalizedKey {
  const given = (['secret', 'privateKey', 'publicKey'] as const).filter((m) => options[m] !== undefined)
  if (given.length !== 1) {
    throw new KeyMaterialError(`${field} must have exactly one of secret, privateKey or publicKey`)
  }
  const { alg } = options
  if (alg === 'HS256') {
    if (options.secret === undefined) throw new KeyMaterialError(`${field} uses HS256, which needs a secret`)
    const secret = secretBytes(options.secret, secretField)
    return Object.freeze({ kid: options.kid, alg, use: options.use ?? 'sign', secret })
  }
  if (options.secret !== undefined) {
    throw new KeyMaterialError(`${field} uses ${alg}, which needs a privateKey or publicKey, not a secret`)
  }
  if (options.privateKey !== undefined) {
    const privateKey = toKeyObject(options.privateKey, 'private', `${field}.privateKey`)
    checkAsymmetric(privateKey, alg, `${field}.privateKey`)
    const publicKey = createPublicKey(privateKey)
    return Object.freeze({ kid: options.kid ?? thumbprint(publicKey), alg, use: options.use ?? 'sign', privateKey, publicKey })
  }
  if (options.use === 'sign') {
    throw new KeyMaterialError(`${field} has only a publicKey, so it cannot have use 'sign'`)
  }
  const publicKey = toKeyObject(options.publicKey!, 'public', `${field}.publicKey`)
  checkAsymmetric(publicKey, alg, `${field}.publicKey`)
  return Object.freeze({ kid: options.kid ?? thumbprint(publicKey), alg, use: 'verify', publicKey })
}
