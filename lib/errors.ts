/**
 * The core's error codes. Each maps to the HTTP status the router answers
 * with and a default message a person understands. docs/errors.md documents
 * every code; a test keeps the two in step. Plugins add their own codes to
 * the same registry with {@link registerErrorCodes}.
 */
export const ERROR_CODES = {
  // Configuration (thrown at construction or ready(); never caused by a request)
  ERR_AUTH_OPTIONS_INVALID: { status: 500, message: 'AuthCore options are invalid' },
  ERR_AUTH_KEY_INVALID: { status: 500, message: 'A configured key could not be used' },
  ERR_AUTH_STORAGE_INCOMPLETE: { status: 500, message: 'The storage plugin lacks an operation AuthCore needs' },
  ERR_AUTH_PLUGIN_CONFLICT: { status: 500, message: 'Two plugins declare the same route, error code, rate-limit scope or name' },
  ERR_AUTH_NO_SIGNING_KEY: { status: 500, message: 'No signing key is configured, so tokens cannot be issued' },
  ERR_AUTH_HOOK_FAILED: { status: 500, message: 'A hook failed unexpectedly' },
  ERR_AUTH_CLOSED: { status: 503, message: 'This AuthCore instance is closed' },

  // Tokens and the Authorization header
  ERR_AUTH_HEADER_MISSING: { status: 401, message: 'Authorization header is missing' },
  ERR_AUTH_HEADER_INVALID: { status: 401, message: "Authorization header must be 'Bearer <token>'" },
  ERR_AUTH_TOKEN_TOO_LARGE: { status: 401, message: 'Token is larger than allowed' },
  ERR_AUTH_TOKEN_MALFORMED: { status: 401, message: 'Token is not a well-formed JWT' },
  ERR_AUTH_TOKEN_ALG_NOT_ALLOWED: { status: 401, message: "Token's algorithm is not the one its key is configured for" },
  ERR_AUTH_TOKEN_KEY_UNKNOWN: { status: 401, message: 'Token was signed with an unknown key' },
  ERR_AUTH_TOKEN_SIGNATURE_INVALID: { status: 401, message: 'Token signature is invalid' },
  ERR_AUTH_TOKEN_EXPIRED: { status: 401, message: 'Token has expired' },
  ERR_AUTH_TOKEN_NOT_YET_VALID: { status: 401, message: 'Token is not valid yet' },
  ERR_AUTH_TOKEN_CLAIM_INVALID: { status: 401, message: 'Token has a missing or invalid claim' },
  ERR_AUTH_TOKEN_TYPE_INVALID: { status: 401, message: 'Token is not an access token' },
  ERR_AUTH_TOKEN_REVOKED: { status: 401, message: 'Token is no longer valid for this user' },
  ERR_AUTH_JWKS_UNAVAILABLE: { status: 503, message: 'The key set could not be fetched' },

  // Users, credentials and access
  ERR_AUTH_INVALID_CREDENTIALS: { status: 401, message: 'Email or password is incorrect' },
  ERR_AUTH_PASSWORD_WEAK: { status: 400, message: 'Password does not meet the password policy' },
  ERR_AUTH_ROLE_NOT_ALLOWED: { status: 403, message: 'That role cannot be chosen here' },
  ERR_AUTH_FORBIDDEN: { status: 403, message: 'You are not allowed to do this' },
  ERR_AUTH_REAUTH_REQUIRED: { status: 403, message: 'The current password is missing or incorrect' },
  ERR_AUTH_EMAIL_UNVERIFIED: { status: 403, message: 'Confirm your email address first: a link is on its way to your inbox' },
  ERR_AUTH_BUSY: { status: 503, message: 'Too many sign-ins are in progress, try again shortly' },

  // Abuse protection
  ERR_AUTH_RATE_LIMITED: { status: 429, message: 'Too many requests from this address; try again later' },
  ERR_AUTH_THROTTLED: { status: 429, message: 'Too many failed sign-ins for this account; wait before trying again' },
  ERR_AUTH_ACCOUNT_LOCKED: { status: 429, message: 'Too many failed sign-ins: this account is locked for a while' },
  ERR_AUTH_RATE_LIMIT_UNAVAILABLE: { status: 503, message: 'Rate limiting is unavailable, so the request was refused; try again later' },

  // Refresh sessions
  ERR_AUTH_REFRESH_INVALID: { status: 401, message: 'Refresh token is invalid' },
  ERR_AUTH_SESSION_EXPIRED: { status: 401, message: 'Session has expired; sign in again' },
  ERR_AUTH_SESSION_REVOKED: { status: 401, message: 'Session has ended; sign in again' },
  ERR_AUTH_SESSION_REUSED: { status: 401, message: 'Refresh token was already used; every session of this sign-in has been ended' },

  // HTTP
  ERR_AUTH_ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  ERR_AUTH_METHOD_NOT_ALLOWED: { status: 405, message: 'This route does not accept that method' },
  ERR_AUTH_CONTENT_TYPE: { status: 415, message: 'The body must be JSON (Content-Type: application/json)' },
  ERR_AUTH_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  ERR_AUTH_BODY_MALFORMED: { status: 400, message: 'The request body is not valid JSON' },
  ERR_AUTH_INTERNAL: { status: 500, message: 'Internal error' },

  // Input and storage
  ERR_AUTH_INPUT_INVALID: { status: 400, message: 'Input is invalid' },
  ERR_AUTH_USER_EXISTS: { status: 409, message: 'A user with this email already exists' },
  ERR_AUTH_CREDENTIAL_EXISTS: { status: 409, message: 'This credential is already registered' },
  ERR_AUTH_MAIL_FAILED: { status: 503, message: 'The mail could not be sent, try again later' },
  ERR_AUTH_USER_NOT_FOUND: { status: 404, message: 'User not found' },
  ERR_AUTH_STORAGE_UNAVAILABLE: { status: 503, message: 'Storage is unavailable, try again later' },
  ERR_AUTH_STORAGE_FAILED: { status: 500, message: 'Storage could not complete the operation' },
} as const satisfies Record<string, { status: number; message: string }>

/**
 * Error codes that plugins add, by name. A plugin declares its codes at run
 * time (`errors` on the plugin object) and types them by augmenting this
 * interface, so `new AuthError('ERR_INVITE_USED')` and `isAuthError(err,
 * 'ERR_INVITE_USED')` type-check:
 *
 * ```ts
 * declare module 'authcore' {
 *   interface PluginErrorCodes { ERR_INVITE_USED: true }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface PluginErrorCodes {}

/** A stable error code, the core's or a plugin's: switch on it, never on the message. */
export type AuthErrorCode = keyof typeof ERROR_CODES | (keyof PluginErrorCodes & string)

/** How a plugin declares one error code. */
export interface ErrorCodeDeclaration {
  /** The HTTP status the router answers with (400 to 599). */
  readonly status: number
  /** The default message, for a person: never a secret, never a value from the request. */
  readonly message: string
  /** What it means and how to fix it: the docs entry (docs tests check every shipped code has one). */
  readonly description: string
}

interface RegisteredCode {
  readonly status: number
  readonly message: string
  readonly description: string | undefined
  readonly owner: string
}

// Every code known in this process: the core's, then each plugin's as AuthCore instances declare them.
const registry = new Map<string, RegisteredCode>(
  Object.entries(ERROR_CODES).map(([code, { status, message }]) => [code, { status, message, description: undefined, owner: 'core' }]),
)

const PLUGIN_CODE = /^ERR_[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/

/**
 * Adds a plugin's codes to the registry. A code must look like `ERR_<AREA>_<WHAT>`
 * and stay out of the core's `ERR_AUTH_` namespace. Declaring the same code
 * again with the same definition and owner is allowed (several AuthCore
 * instances in one process); anything else is `ERR_AUTH_PLUGIN_CONFLICT`.
 * @throws UsageError for a malformed declaration.
 */
export function registerErrorCodes(owner: string, codes: Readonly<Record<string, ErrorCodeDeclaration>>): void {
  registerAll([[owner, codes]])
}

/**
 * Registers the codes of several owners at once, or none: every declaration
 * is checked (shape, namespace, clashes with the registry and with each
 * other) before any is written, so a construction that fails leaves the
 * process-wide registry as it was.
 */
export function registerAll(entries: readonly (readonly [owner: string, codes: Readonly<Record<string, ErrorCodeDeclaration>>])[]): void {
  const pending = new Map<string, RegisteredCode>()
  for (const [owner, codes] of entries) {
    for (const [code, declared] of Object.entries(codes)) {
      if (!PLUGIN_CODE.test(code) || code.startsWith('ERR_AUTH_')) {
        throw new UsageError(`plugin '${owner}': error code '${code}' must look like ERR_<AREA>_<WHAT>, outside ERR_AUTH_`)
      }
      const { status, message, description } = declared ?? ({} as ErrorCodeDeclaration)
      if (!Number.isInteger(status) || status < 400 || status > 599) throw new UsageError(`plugin '${owner}': ${code}.status must be an HTTP error status (400-599)`)
      if (typeof message !== 'string' || message === '') throw new UsageError(`plugin '${owner}': ${code}.message must be a non-empty string`)
      if (typeof description !== 'string' || description === '') throw new UsageError(`plugin '${owner}': ${code}.description must be a non-empty string`)
      const known = pending.get(code) ?? registry.get(code)
      if (known && (known.owner !== owner || known.status !== status || known.message !== message)) {
        throw new AuthError('ERR_AUTH_PLUGIN_CONFLICT', `Error code ${code} is declared by both '${known.owner}' and '${owner}'`)
      }
      pending.set(code, Object.freeze({ status, message, description, owner }))
    }
  }
  for (const [code, entry] of pending) registry.set(code, entry)
}

/** A registered code's status, default message, description and owner (`'core'` for the core's), or undefined. */
export function errorCodeInfo(code: string): { status: number; message: string; description?: string; owner: string } | undefined {
  const known = registry.get(code)
  if (!known) return undefined
  return { status: known.status, message: known.message, owner: known.owner, ...(known.description !== undefined && { description: known.description }) }
}

/** Options for {@link AuthError}. */
export interface AuthErrorOptions {
  /** The underlying error (a driver or library error); never shown to an end user. */
  cause?: unknown
  /** Structured, non-secret detail for the caller (for example the option errors). */
  details?: unknown
}

/**
 * The one error class AuthCore throws for untrusted input, tokens, storage
 * faults and configuration. `code` is stable; `status` is the HTTP status the
 * router answers with. The original library or driver error, if any, is kept
 * in `cause` and never reaches an HTTP response.
 */
export class AuthError<C extends AuthErrorCode = AuthErrorCode> extends Error {
  /** Stable machine-readable code from the registry. */
  readonly code: C
  /** HTTP status for this code. */
  readonly status: number
  /** Structured detail, safe to show the developer (never secrets). */
  readonly details: unknown

  /** @throws UsageError when `code` is in no registry (a typo, or a plugin that was not configured). */
  constructor(code: C, message?: string, options: AuthErrorOptions = {}) {
    const known = registry.get(code)
    if (known === undefined) throw new UsageError(`unknown error code '${String(code)}'`)
    super(message ?? known.message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = known.status
    this.details = options.details
  }

  override get name(): string {
    return 'AuthError'
  }
}

/**
 * True when `err` is an {@link AuthError}, optionally with the given code.
 */
export function isAuthError<C extends AuthErrorCode>(err: unknown, code?: C): err is AuthError<C> {
  if (!(err instanceof AuthError)) return false
  return code === undefined || err.code === code
}

/**
 * What a backend failure means, as a plugin's classifier tells
 * {@link toAuthError}: a unique email or credential subject already taken,
 * another unique value taken, the backend unreachable (down, closed, timing
 * out, connection lost), or anything else.
 */
export type BackendFailure = 'unique-email' | 'unique-credential' | 'unique-other' | 'unavailable' | 'other'

/**
 * Turns whatever a storage or counter backend threw into what a caller may
 * see, so no raw driver or client error escapes a plugin's public method. An
 * {@link AuthError} or a {@link UsageError} passes through as it is; anything
 * else becomes the AuthError its class names (`'unique-email'`:
 * `ERR_AUTH_USER_EXISTS`, `'unique-credential'`: `ERR_AUTH_CREDENTIAL_EXISTS`,
 * `'unavailable'`: `ERR_AUTH_STORAGE_UNAVAILABLE`, else
 * `ERR_AUTH_STORAGE_FAILED`), with the original kept as `cause`.
 *
 * ```ts
 * try { return await client.query(sql) } catch (err) { throw toAuthError(err, classify) }
 * ```
 */
export function toAuthError(err: unknown, classify: (err: unknown) => BackendFailure): AuthError | UsageError {
  if (err instanceof AuthError || err instanceof UsageError) return err
  switch (classify(err)) {
    case 'unique-email':
      return new AuthError('ERR_AUTH_USER_EXISTS', undefined, { cause: err })
    case 'unique-credential':
      return new AuthError('ERR_AUTH_CREDENTIAL_EXISTS', undefined, { cause: err })
    case 'unavailable':
      return new AuthError('ERR_AUTH_STORAGE_UNAVAILABLE', undefined, { cause: err })
    default:
      return new AuthError('ERR_AUTH_STORAGE_FAILED', undefined, { cause: err })
  }
}

/**
 * Misuse of the API by calling code (a number where a token string belongs,
 * an unknown hook name, a malformed plugin declaration): a bug to fix, not
 * input to handle. It is a `TypeError`, so `instanceof TypeError` holds, and
 * carries the stable code `ERR_AUTH_USAGE` for tools that sort errors by code.
 * It never reaches an HTTP response as such (the router answers a plain 500).
 */
export class UsageError extends TypeError {
  /** Always `'ERR_AUTH_USAGE'`. */
  readonly code = 'ERR_AUTH_USAGE' as const
}
