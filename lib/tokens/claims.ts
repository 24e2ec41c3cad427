/**
 * The claims of a verified access token. `sub` and `id` are the same user id
 * (Space Cloud wrote `id`; standards write `sub`): whichever the token carries
 * fills the other. Other claims the issuer added are kept as they were.
 */
export interface AccessClaims {
  /** The user id. */
  readonly sub: string
  /** The user id again, as Space Cloud clients read it. */
  readonly id: string
  /** The user's email, when the token carries one. */
  readonly email?: string
  /** Whether the user had proved their address when the token was issued (AuthCore's tokens always carry it). */
  readonly email_verified?: boolean
  /** The user's role, when the token carries one. */
  readonly role?: string
  /** Issued at, seconds since the epoch. */
  readonly iat?: number
  /** Expiry, seconds since the epoch; always present. */
  readonly exp: number
  /** The user's token version when issued; a token without one counts as version 0. */
  readonly ver?: number
  /** The refresh session family this token came from, if any. */
  readonly sid?: string
  /**
   * Authentication methods references (RFC 8176): how the user signed in.
   * AuthCore writes one entry, the method name its `user:signed-in` event
   * reports (`'basic'`, `'oauth:google'`, `'email-link'`, `'email-link:code'`,
   * `'invites'`, ...) rather than RFC 8176's registered values (`pwd`,
   * `otp`, ...), because those cannot say which provider or plugin proved the
   * user; refreshes keep it, and a later factor (MFA) will append its own.
   * Absent when the method is unknown (a session stored before AuthCore kept
   * it). Tokens from other issuers may carry any array of strings.
   */
  readonly amr?: readonly string[]
  /** Token id. */
  readonly jti?: string
  readonly iss?: string
  readonly aud?: string | string[]
  readonly [claim: string]: unknown
}

/** The JWT `typ` header AuthCore writes on access tokens (RFC 9068). */
export const ACCESS_TOKEN_TYPE = 'at+jwt'
