import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'

/** A fresh 32-byte secret as text. */
export const newSecret = () => randomBytes(32).toString('base64url')

export const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 })
export const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
export const ed = () => generateKeyPairSync('ed25519')

/** Seconds since the epoch. */
export const nowSec = () => Math.floor(Date.now() / 1000)

/**
 * Mints a token the way another service sharing a key would. `header`
 * overrides the protected header; `key` is what jose signs with.
 */
export async function mint(
  key: Parameters<SignJWT['sign']>[0],
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload = { sub: 'user-1', email: 'a@example.com', role: 'user', exp: nowSec() + 600, iat: nowSec(), ...claims }
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete (payload as Record<string, unknown>)[k]
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', ...header } as { alg: string }).sign(key)
}

/** base64url of a JSON value. */
export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
