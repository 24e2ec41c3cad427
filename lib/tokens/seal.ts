/**
 * Encryption at rest for what plugins must keep and read back (a provider's
 * tokens, a TOTP seed): AES-256-GCM under a key derived from the signing
 * key, a fresh 96-bit nonce per value, and a label as additional data, so a
 * value sealed for one purpose does not open as another.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { AuthError } from '../errors.js'

const VERSION = 'v1'

/** `v1.<nonce>.<ciphertext>.<tag>`, base64url parts. */
export function sealText(key: Buffer, plaintext: string, label: string): string {
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 })
  cipher.setAAD(Buffer.from(label))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [VERSION, nonce.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.')
}

/** Opens a value from {@link sealText}; `ERR_AUTH_KEY_INVALID` for another key or label, or an altered value. */
export function unsealText(key: Buffer, sealed: string, label: string): string {
  const [version, nonce, body, tag, ...rest] = sealed.split('.')
  if (version !== VERSION || nonce === undefined || body === undefined || tag === undefined || rest.length > 0) {
    throw new AuthError('ERR_AUTH_KEY_INVALID', 'A sealed value is malformed')
  }
  try {
    // The tag length is fixed: GCM would otherwise accept a truncated tag, and a shorter tag is easier to forge.
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'), { authTagLength: 16 })
    decipher.setAAD(Buffer.from(label))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
  } catch (cause) {
    throw new AuthError('ERR_AUTH_KEY_INVALID', 'A sealed value does not open with this key and label (the signing key changed, or it was altered)', { cause })
  }
}
