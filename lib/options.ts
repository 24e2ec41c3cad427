import type { KeyObject } from 'node:crypto'
import type { Duration } from './duration.js'
import type { StoragePlugin } from './storage-types.js'
import type { AuthPlugin } from './plugin-types.js'
import type { SignInMethod } from './method-types.js'
import type { Mailer } from './mailer-types.js'
import type { AccountEmailOptions } from './account-email-types.js'
import type { AccessRules } from './access.js'
import type { PasswordOptions } from './passwords/service.js'
import type { RateLimitOptions } from './rate-limit/settings.js'

/** Algorithms AuthCore signs and verifies with. `none` is never accepted. */
export type Algorithm = 'HS256' | 'EdDSA' | 'ES256' | 'RS256'

/** Every supported algorithm, in a fixed order. */
export const ALGORITHMS: readonly Algorithm[] = ['HS256', 'EdDSA', 'ES256', 'RS256']

/** A JSON Web Key as a plain object. */
export type JsonWebKeyInput = { kty: string; [member: string]: unknown }

/** Asymmetric key material: PEM text, a JWK object, a KeyObject or a CryptoKey. */
export type KeyMaterial = string | JsonWebKeyInput | KeyObject | CryptoKey

/** One configured key. Give exactly one of `secret`, `privateKey` or `publicKey`. */
export interface KeyOptions {
  /**
   * Key id written to the `kid` header of tokens it signs and matched on
   * verify. Asymmetric keys without one get their RFC 7638 thumbprint.
   */
  kid?: string
  /** The one algorithm this key signs and verifies with; a token naming another is refused. */
  alg: Algorithm
  /** HS256 shared secret, at least 32 bytes: a string (UTF-8) or bytes. */
  secret?: string | Uint8Array
  /** A private key (PEM PKCS#8, JWK, KeyObject or CryptoKey); it can sign and verify. */
  privateKey?: KeyMaterial
  /** A public key (PEM SPKI, JWK, KeyObject or CryptoKey); it can only verify. */
  publicKey?: KeyMaterial
  /**
   * `'sign'` (the default for a secret or private key) signs new tokens and
   * verifies; `'verify'` only verifies, for keys being rotated out. Exactly one
   * key signs.
   */
  use?: 'sign' | 'verify'
}

/** Tuning for keys fetched from {@link AuthCoreOptions.jwksUrl}. */
export interface JwksOptions {
  /** How long a fetched key set is used before it is refetched. Default 10 minutes. */
  cacheMaxAge?: Duration
  /** The least time between two fetches caused by tokens with an unknown `kid`. Default 30 seconds. */
  cooldown?: Duration
  /** How long one fetch may take. Default 5 seconds. */
  timeout?: Duration
}

/** Options for `new AuthCore(options)`. Validated once, then frozen. */
export interface AuthCoreOptions {
  /** HS256 shortcut: one shared secret of at least 32 bytes. Give this or `keys`. */
  secret?: string | Uint8Array
  /** Keys for signing and verifying; one signs, the others verify only (rotation). */
  keys?: KeyOptions[]
  /** A JWKS URL (https, or http on a loopback address) whose public keys verify tokens. Needs `issuer` or `audience`. */
  jwksUrl?: string
  /** Caching and rate bounds for {@link jwksUrl}. */
  jwks?: JwksOptions
  /** Issuer: the first is written to `iss`; tokens must carry one of them when set. */
  issuer?: string | string[]
  /** Audience: the first is written to `aud`; tokens must name one of them when set. */
  audience?: string | string[]
  /** Lifetime of access tokens. Default 15 minutes. */
  accessTokenTtl?: Duration
  /** Absolute lifetime of a refresh session (its whole rotation family). Default 30 days. */
  refreshTokenTtl?: Duration
  /** A refresh session unused for this long ends. Default 7 days. */
  sessionIdleTimeout?: Duration
  /**
   * How long after a refresh token was rotated a retry with it still gets the
   * same successor (for a client that lost the response) instead of being
   * treated as reuse. Default 5 seconds; at most 1 minute.
   */
  refreshGraceWindow?: Duration
  /**
   * When true, every `verify()` also checks the user's token version, so a
   * password change, role change, disable or `revokeSessions` ends tokens at
   * once. Default false (stateless, bounded by `accessTokenTtl`); can be set
   * per call. See docs/sessions.md.
   */
  strictVerify?: boolean
  /** How long strict verification trusts a user's token version read from storage. Default 5 seconds. */
  strictVerifyCacheTtl?: Duration
  /** Leeway for `exp`, `nbf` and `iat` between machines' clocks. Default 5 seconds, at most 5 minutes. */
  clockTolerance?: Duration
  /** Tokens longer than this many characters are refused before decoding. Default 8192. */
  maxTokenSize?: number
  /**
   * How many verified tokens to remember so a token presented again skips the
   * signature check. Entries never outlive the token's `exp`. 0 turns it off.
   * Default 10,000.
   */
  verifyCacheSize?: number
  /** Where users live. Default: SQLite in `./authcore.db`, created on `ready()`. */
  storage?: StoragePlugin
  /** Sign-in methods. Default: `[basic()]`. Names must be unique. */
  methods?: SignInMethod[]
  /** Other plugins; each is set up on `ready()`, in order (docs/plugins.md). */
  plugins?: AuthPlugin[]
  /**
   * How mail is sent: verification and reset links, notices, and for the
   * plugins that send mail (docs/mail.md, docs/email.md). With a mailer,
   * `appUrl` is required and the account-mail routes are served. AuthCore
   * closes it on `close()`.
   */
  mailer?: Mailer
  /**
   * The app's public origin (`https://app.example.com`, or with a path
   * prefix): every link in a mail points under it. Links are never built from
   * a request's Host or X-Forwarded-Host. https, or http on a loopback
   * address; no query or fragment. Required with a mailer.
   */
  appUrl?: string
  /**
   * `'off'`: no verification mail. `'optional'` (the default with a mailer):
   * sign-up sends a verification link, an email change waits for the new
   * address to be confirmed, and tokens say `email_verified`. `'required'`:
   * as optional, and an unverified user cannot sign in
   * (`ERR_AUTH_EMAIL_UNVERIFIED`; a fresh link is sent at most once per
   * window), sign-up answers that same code instead of tokens, and a sign-up
   * with a taken address answers alike (its owner gets a notice). Needs a mailer.
   */
  emailVerification?: 'off' | 'optional' | 'required'
  /**
   * The exact URLs (compared whole; no prefix or wildcard) a redirect sign-in
   * may send the browser back to, with its one-time code (docs/oauth.md).
   * https, or http on a loopback address.
   */
  redirectUrls?: string[]
  /**
   * Redirect methods (by name) whose provider-verified email may link a first
   * sign-in to an existing account with that verified email. Default none:
   * such a sign-in is refused, and the user links from their account.
   */
  trustedProviders?: string[]
  /** Account-mail templates, link paths and lifetimes (docs/email.md). */
  accountEmail?: AccountEmailOptions
  /** Role given to new users. Default `'user'`. */
  defaultRole?: string
  /** Roles that read, list and edit every user and change roles. Default `['admin']`. */
  adminRoles?: string[]
  /** Roles besides `defaultRole` that a client may ask for on sign-up. Default none. */
  signUpRoles?: string[]
  /** Replace the default access decisions (see docs/access.md). */
  rules?: AccessRules
  /** Password length limits, blocklist, argon2id cost and hashing concurrency (see docs/passwords.md). */
  passwordPolicy?: PasswordOptions
  /** Per-address limits and per-account throttling and lockout (see docs/abuse.md). On by default. */
  rateLimit?: RateLimitOptions
  /** Where `handle()` serves the routes. Default `'/auth'`; Space Cloud apps use `'/v1/api/<project>/auth/<db>'`. */
  basePath?: string
  /** Largest request body `handle()` reads, in bytes. Default 16384. */
  maxBodySize?: number
  /** A clock for tests: milliseconds since the epoch. Default `Date.now`. */
  now?: () => number
}
