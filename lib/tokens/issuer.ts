import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { AuthError } from '../errors.js'
import type { ResolvedOptions } from '../options-validate.js'
import { ACCESS_TOKEN_TYPE } from './claims.js'
import type { KeyRing } from './key-ring.js'

/** Who an access token is for. */
export interface TokenSubject {
  id: string
  email: string
  role: string
  /** The user's token version when the token is issued (`ver`); strict checks compare it with the stored one. */
  tokenVersion: number
}

/**
 * Signs an access token for `subject` with the signing key: `sub` and `id`
 * (the same user id), `email`, `role`, `ver` (token version), `sid` (the
 * refresh session family, when there is one), `iat`, `exp`, a random `jti`,
 * and `iss`/`aud` when configured, under a `typ: at+jwt` header.
 */
export async function signAccessToken(
  options: ResolvedOptions,
  ring: KeyRing,
  subject: TokenSubject,
  sessionId?: string,
): Promise<string> {
  const key = ring.signing
  if (!key) throw new AuthError('ERR_AUTH_NO_SIGNING_KEY')
  const now = Math.floor(options.now() / 1000)
  const claims = { id: subject.id, email: subject.email, role: subject.role, ver: subject.tokenVersion }
  const jwt = new SignJWT(sessionId === undefined ? claims : { ...claims, sid: sessionId })
    .setProtectedHeader({ alg: key.alg, typ: ACCESS_TOKEN_TYPE, ...(key.kid !== undefined && { kid: key.kid }) })
    .setSubject(subject.id)
    .setIssuedAt(now)
    .setExpirationTime(now + options.accessTokenTtl)
    .setJti(randomUUID())
  if (options.issuer) jwt.setIssuer(options.issuer[0]!)
  if (options.audience) jwt.setAudience(options.audience[0]!)
  return jwt.sign(key.signKey)
}
