import { createSecretKey, hkdfSync, webcrypto, type KeyObject } from 'node:crypto'
import { importJWK, type JWK } from 'jose'
import type { Algorithm } from '../options.js'
import type { NormalizedKey } from './key-material.js'

/** A key ready for jose: material imported once, so no verify pays for an import. */
export interface VerifyKey {
  readonly kid: string | undefined
  readonly alg: Algorithm
  readonly key: CryptoKey
}

/** The local key set: what signs, what verifies, and what is published. */
export interface KeyRing {
  /**
   * The one key that signs new tokens, if any. An HS256 key also carries its
   * secret as a KeyObject for node:crypto's synchronous HMAC (see issuer.ts).
   */
  readonly signing: (VerifyKey & { readonly signKey: CryptoKey; readonly hmac?: KeyObject }) | undefined
  /** Every local key that verifies (the signing key included). */
  readonly verifying: readonly VerifyKey[]
  /** Public JWKs of the asymmetric keys, for `auth.jwks()`. */
  readonly publicJwks: readonly JWK[]
  /**
   * A server-side key derived from the signing key, used to derive refresh
   * token successors (so knowing an old secret and a session id is not
   * enough to compute the next secret). Undefined without a signing key.
   */
  readonly refreshKey: Buffer | undefined
  /** A second derived key, for plugins' keyed hashes of short secrets (`PluginContext.keyedHash`). Undefined without a signing key. */
  readonly pluginKey: Buffer | undefined
  /** A third, for what plugins encrypt at rest (`PluginContext.seal`). Undefined without a signing key. */
  readonly sealKey: Buffer | undefined
}

/** HKDF of the signing key's material for one purpose (refresh-token successors, plugins' keyed hashes). */
function deriveKey(key: NormalizedKey, purpose: string): Buffer {
  const material = key.secret ?? key.privateKey!.export({ format: 'der', type: 'pkcs8' })
  return Buffer.from(hkdfSync('sha256', material, 'authcore', purpose, 32))
}

async function importKey(key: NormalizedKey): Promise<{ verify: CryptoKey; sign?: CryptoKey; jwk?: JWK }> {
  if (key.secret) {
    const hmac = await webcrypto.subtle.importKey('raw', key.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    return { verify: hmac, sign: hmac }
  }
  const publicJwk = key.publicKey!.export({ format: 'jwk' }) as JWK
  const verify = (await importJWK(publicJwk, key.alg)) as CryptoKey
  const sign = key.privateKey ? ((await importJWK(key.privateKey.export({ format: 'jwk' }) as JWK, key.alg)) as CryptoKey) : undefined
  const jwk = Object.freeze({ ...publicJwk, kid: key.kid, alg: key.alg, use: 'sig' })
  return sign ? { verify, sign, jwk } : { verify, jwk }
}

/** Imports every configured key once. */
export async function buildKeyRing(keys: readonly NormalizedKey[]): Promise<KeyRing> {
  const imported = await Promise.all(keys.map(importKey))
  let signing: KeyRing['signing']
  const verifying: VerifyKey[] = []
  const publicJwks: JWK[] = []
  keys.forEach((key, i) => {
    const { verify, sign, jwk } = imported[i]!
    const entry = Object.freeze({ kid: key.kid, alg: key.alg, key: verify })
    verifying.push(entry)
    if (jwk) publicJwks.push(jwk)
    if (key.use === 'sign' && sign) {
      signing = Object.freeze({ ...entry, signKey: sign, ...(key.secret && { hmac: createSecretKey(key.secret) }) })
    }
  })
  const signer = keys.find((k) => k.use === 'sign' && (k.secret || k.privateKey))
  const refreshKey = signer && deriveKey(signer, 'refresh-token-successor')
  const pluginKey = signer && deriveKey(signer, 'plugin-keyed-hash')
  const sealKey = signer && deriveKey(signer, 'plugin-seal')
  return Object.freeze({ signing, verifying: Object.freeze(verifying), publicJwks: Object.freeze(publicJwks), refreshKey, pluginKey, sealKey })
}
