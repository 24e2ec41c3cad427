import { bearerToken } from './bearer.js'
import { AuthError } from './errors.js'
import { EventHub, type AuthEvents, type AuthListener } from './events.js'
import { HookRunner, type Hook, type HookName } from './hooks.js'
import type { AuthCoreOptions } from './options.js'
import { resolveOptions, type ResolvedOptions } from './options-validate.js'
import type { AccessClaims } from './tokens/claims.js'
import { buildKeyRing, type KeyRing } from './tokens/key-ring.js'
import { RemoteKeySet } from './tokens/remote-key-set.js'
import { TokenVerifier } from './tokens/verifier.js'
import type { JWK } from 'jose'
import { createRouter } from './http/router.js'
import type { AuthPlugin, RequestContext } from './plugin-types.js'
import type { SignInMethod } from './method-types.js'
import type { CoreContext, AsCaller } from './operations/context.js'
import { createUser, signIn, signUp, type SignedIn } from './operations/credentials.js'
import { editProfile, type EditProfileResult } from './operations/edit-profile.js'
import { profile, profiles } from './operations/profiles.js'
import { setDisabled, setRole, unlock } from './operations/admin.js'
import {
  listSessions, purgeExpired, purgeExpiredSessions, refresh, revokeSessions, signOut, type PurgeResult, type SessionInfo, type TokenPair,
} from './operations/sessions.js'
import { TokenVersionCache } from './tokens/version-cache.js'
import { startCore, type StartedCore } from './start.js'
import { chooseAccountEmail, chooseMethods, chooseRedirectFlow, chooseStorage } from './defaults.js'
import type { AccountEmailService, PasswordResetInput, PasswordResetRequest, VerifyEmailInput } from './account-email-types.js'
import type { RedirectSignIn } from './redirect-sign-in-types.js'
import { UsageError } from './errors.js'
import { coreRoutes } from './http/core-routes.js'
import { collectContributions, type Contributions } from './plugin-contributions.js'
import { withPluginScopes, type RateLimitSettings } from './rate-limit/settings.js'
import type { StoragePlugin } from './storage-types.js'
import type { EditProfileInput, ProfilesQuery, SignInInput, SignUpInput } from './input.js'
import type { PublicUser } from './users/public-user.js'

/**
 * User management for one app: issues and verifies tokens, runs the
 * sign-in methods over a storage plugin, and emits lifecycle events.
 *
 * ```ts
 * const auth = new AuthCore({ secret: process.env.AUTH_SECRET })
 * await auth.ready()
 * const claims = await auth.authenticate(request.headers.get('authorization'))
 * ```
 */
export class AuthCore {
  readonly #options: ResolvedOptions
  readonly #events = new EventHub<AuthEvents>()
  readonly #hooks: HookRunner
  readonly #methods: readonly SignInMethod[]
  readonly #plugins: readonly AuthPlugin[]
  readonly #accountEmail: AccountEmailService | undefined
  readonly #redirectFlow: (AuthPlugin & RedirectSignIn) | undefined
  readonly #contributions: Contributions
  readonly #rateLimit: RateLimitSettings
  readonly #ring: Promise<KeyRing>
  readonly #verifier: TokenVerifier
  readonly #router: (request: Request, context?: RequestContext) => Promise<Response>
  readonly #versions: TokenVersionCache
  #keys: KeyRing | undefined
  #started: StartedCore | undefined
  #ready: Promise<void> | undefined
  // Chosen once and kept across start attempts, so close() can release it
  // whether or not a start ever succeeded.
  #storage: Promise<StoragePlugin> | undefined
  readonly #methodsSetUp = new WeakSet<object>()
  #closed = false

  /**
   * Validates `options` once and freezes them. Throws `ERR_AUTH_OPTIONS_INVALID`
   * naming every bad field.
   */
  constructor(options: AuthCoreOptions) {
    this.#options = resolveOptions(options)
    // What the methods and plugins contribute is read once, here: a clash
    // (two routes on one path, a code declared twice) fails construction.
    this.#methods = chooseMethods(this.#options)
    this.#accountEmail = chooseAccountEmail(this.#options)
    this.#redirectFlow = chooseRedirectFlow(this.#methods)
    const composed: AuthPlugin[] = []
    if (this.#accountEmail) composed.push(this.#accountEmail)
    if (this.#redirectFlow) composed.push(this.#redirectFlow)
    this.#plugins = [...this.#options.plugins, ...composed]
    const { basePath, maxBodySize, keys: configured } = this.#options
    const core = coreRoutes(this, { publishJwks: configured.some((k) => k.publicKey !== undefined) })
    this.#contributions = collectContributions(core, [...this.#methods, ...this.#plugins])
    this.#rateLimit = withPluginScopes(this.#options.rateLimit, options.rateLimit?.scopes, this.#contributions.scopes)
    this.#hooks = new HookRunner(this.#contributions.hooks.keys())
    this.#ring = buildKeyRing(this.#options.keys)
    this.#ring.then((ring) => (this.#keys = ring), () => undefined)
    const { jwksUrl, jwks, now } = this.#options
    const remote = jwksUrl && new RemoteKeySet(jwksUrl, { ...jwks, now, onChange: () => this.#verifier.cache.clear() })
    this.#verifier = new TokenVerifier(this.#options, this.#ring, remote || undefined)
    this.#versions = new TokenVersionCache(this.#options.strictVerifyCacheTtl)
    this.#router = createRouter({
      basePath,
      maxBodySize,
      routes: this.#contributions.routes,
      authenticate: (header) => this.authenticate(header, { strict: true }),
      contextFor: async (owner) => {
        await this.#ctx()
        return this.#started!.contextFor(owner)
      },
      onInternalError: (error) => this.#events.report('http', error),
    })
  }

  /**
   * The path prefix {@link AuthCore.handle} serves (the `basePath` option,
   * `/auth` by default). Framework adapters read it to pass other paths on
   * to the app instead of answering them.
   */
  get basePath(): string {
    return this.#options.basePath
  }

  /**
   * Serves the HTTP routes under `basePath` (see docs/http.md) for a Web
   * `Request`. Never rejects: every failure is a JSON error response with
   * the registry's status. Adapters pass what the request cannot carry,
   * such as the client address, in `context`.
   */
  handle(request: Request, context?: RequestContext): Promise<Response> {
    return this.#router(request, context)
  }

  async #start(): Promise<void> {
    this.#storage ??= chooseStorage(this.#options)
    const started = await startCore({
      options: this.#options,
      methods: this.#methods,
      plugins: this.#plugins,
      accountEmail: this.#accountEmail,
      contributions: this.#contributions,
      rateLimit: this.#rateLimit,
      auth: this,
      storage: await this.#storage,
      methodsSetUp: this.#methodsSetUp,
      ring: this.#ring,
      hooks: this.#hooks,
      events: this.#events,
      forgetUser: (userId) => {
        this.#verifier.cache.deleteWhere((claims) => claims.sub === userId)
        this.#versions.delete(userId)
      },
    })
    if (this.#closed) {
      // close() ran while this start was under way: release what it set up.
      await started.close()
      throw new AuthError('ERR_AUTH_CLOSED')
    }
    this.#started = started
  }

  /** The operations' context, starting AuthCore on first use. */
  async #ctx(): Promise<CoreContext> {
    if (this.#closed) throw new AuthError('ERR_AUTH_CLOSED')
    if (!this.#started) await this.ready()
    return this.#started!.context
  }

  /**
   * Imports keys, opens storage (the default SQLite file is created here) and
   * runs its migrations, then sets up methods and plugins. Safe to call more
   * than once: calls made while a start runs wait for that same start. A
   * start that fails (storage unreachable, say) is not remembered: the next
   * call, or the next operation, tries again.
   */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new AuthError('ERR_AUTH_CLOSED'))
    if (this.#ready === undefined) {
      const attempt = this.#start()
      this.#ready = attempt
      attempt.catch(() => {
        // Forget the failure so the next call starts afresh (unless a newer attempt already replaced it).
        if (this.#ready === attempt) this.#ready = undefined
      })
    }
    return this.#ready
  }

  /**
   * Verifies an access token and returns its claims. The algorithm comes
   * from the key (never the header), `exp` is required, `typ` must be an
   * access-token type, `iss`/`aud` are checked when configured, and tokens
   * over `maxTokenSize` are refused before decoding. A token seen before is
   * answered from a bounded cache until its `exp`.
   *
   * With `strict` (or the `strictVerify` option), the token's version is also
   * checked against the user's current one (through a short-lived cache), so
   * a password or role change, a disable or `revokeSessions` ends it at once:
   * `ERR_AUTH_TOKEN_REVOKED`.
   */
  verify(token: string, options: { strict?: boolean } = {}): Promise<AccessClaims> {
    if (this.#closed) return Promise.reject(new AuthError('ERR_AUTH_CLOSED'))
    const verified = this.#verifier.verify(token)
    // The stateless path hands back the verifier's promise as it is: verify is the hot path.
    if (!(options.strict ?? this.#options.strictVerify)) return verified
    return verified.then(async (claims) => {
      await this.#checkVersion(claims)
      return claims
    })
  }

  /** Strict mode: the token's version must be the user's current one, and the user must exist and be enabled. */
  async #checkVersion(claims: AccessClaims): Promise<void> {
    const { storage } = await this.#ctx()
    const now = this.#options.now()
    let version = this.#versions.get(claims.sub, now)
    if (version === 'miss') {
      const user = await storage.findUserById(claims.sub)
      version = user && !user.disabled ? user.tokenVersion : undefined
      this.#versions.set(claims.sub, version, now)
    }
    if (version === undefined || (claims.ver ?? 0) !== version) throw new AuthError('ERR_AUTH_TOKEN_REVOKED')
  }

  /** Verifies the token in an `Authorization: Bearer <jwt>` header value. */
  async authenticate(authorization: string | null | undefined, options: { strict?: boolean } = {}): Promise<AccessClaims> {
    return this.verify(bearerToken(authorization, this.#options.maxTokenSize), options)
  }

  /**
   * The public JWK set of the configured asymmetric keys (signing and
   * verify-only), for `/.well-known/jwks.json`. Empty with HS256 only.
   */
  async jwks(): Promise<{ keys: JWK[] }> {
    let ring = this.#keys
    if (!ring) {
      try {
        ring = await this.#ring
      } catch (cause) {
        throw new AuthError('ERR_AUTH_KEY_INVALID', undefined, { cause })
      }
    }
    return { keys: ring.publicJwks.map((jwk) => ({ ...jwk })) }
  }

  /**
   * Creates a user from `{ email, name, pass, role? }` and signs them in.
   * `role` is accepted only when it is `defaultRole` or in `signUpRoles`.
   * `context.clientAddress` (adapters pass it) counts against the per-address limit.
   */
  async signUp(input: SignUpInput, context?: RequestContext): Promise<SignedIn> {
    return signUp(await this.#ctx(), input, context)
  }

  /**
   * Signs in with `{ email, pass }`. Every failure is the same
   * `ERR_AUTH_INVALID_CREDENTIALS` and costs the same time. Locked or
   * throttled accounts and addresses over their limit are refused before any
   * hashing (`ERR_AUTH_ACCOUNT_LOCKED`, `ERR_AUTH_THROTTLED`, `ERR_AUTH_RATE_LIMITED`).
   */
  async signIn(input: SignInInput, context?: RequestContext): Promise<SignedIn> {
    return signIn(await this.#ctx(), input, context)
  }

  /**
   * Creates a user with any role, from trusted server code only (this is how
   * the first admin is made). Not reachable over HTTP.
   */
  async createUser(input: SignUpInput): Promise<PublicUser> {
    return createUser(await this.#ctx(), input)
  }

  /** One user's profile, if `as` may read it; otherwise `ERR_AUTH_USER_NOT_FOUND`, exactly as for a missing user. */
  async profile(id: string, options: AsCaller): Promise<PublicUser> {
    return profile(await this.#ctx(), id, options)
  }

  /** A page of users (admins by default), ordered by id; pass `next` back as `cursor`. */
  async profiles(options: AsCaller & ProfilesQuery): Promise<{ users: PublicUser[]; next?: string }> {
    return profiles(await this.#ctx(), options)
  }

  /**
   * Changes `{ email?, name?, pass? }`. Your own email or password needs
   * `currentPass`, checked under the same attempt counters and lockout as
   * sign-in. Returns the user and a fresh token for the caller. With email
   * verification on, an email change waits for the link sent to the new
   * address (`pendingEmail` names it).
   */
  async editProfile(
    id: string,
    input: EditProfileInput,
    options: AsCaller,
    context?: RequestContext,
  ): Promise<EditProfileResult> {
    return editProfile(await this.#ctx(), id, input, options, context)
  }

  /** Changes a user's role (admins by default); effective at once. */
  async setRole(id: string, role: string, options: AsCaller): Promise<PublicUser> {
    return setRole(await this.#ctx(), id, role, options)
  }

  /**
   * Rotates a refresh token: returns a new access token and a new refresh
   * token. The presented one is consumed atomically; presenting it again
   * after `refreshGraceWindow` ends its whole family
   * (`ERR_AUTH_SESSION_REUSED`, event `session:reuse-detected`).
   */
  async refresh(refreshToken: string, context?: RequestContext): Promise<TokenPair> {
    return refresh(await this.#ctx(), refreshToken, context)
  }

  /** Ends the session a refresh token belongs to. */
  async signOut(refreshToken: string): Promise<void> {
    return signOut(await this.#ctx(), refreshToken)
  }

  /** Ends every session and token of a user (the user themselves, or an admin). */
  async revokeSessions(userId: string, options: AsCaller): Promise<void> {
    return revokeSessions(await this.#ctx(), userId, options)
  }

  /** A user's live sessions, without secrets (the user themselves, or an admin). */
  async sessions(userId: string, options: AsCaller): Promise<SessionInfo[]> {
    return listSessions(await this.#ctx(), userId, options)
  }

  /** Maintenance: deletes expired sessions and returns how many. Call it from a timer or a cron job. */
  async purgeExpiredSessions(): Promise<number> {
    return purgeExpiredSessions(await this.#ctx())
  }

  /**
   * Maintenance: deletes expired sessions and expired or used one-time
   * tokens (the records plugins keep for links, codes and invites), and
   * returns how many of each. Call it from a timer or a cron job.
   */
  async purgeExpired(): Promise<PurgeResult> {
    return purgeExpired(await this.#ctx())
  }

  /**
   * Redirect sign-in (OpenID Connect, OAuth 2) from code, for apps that
   * serve its steps from their own handlers: the same flow as the
   * `/oauth/...` routes (docs/oauth.md). A usage error when no redirect
   * method is configured. Its operations start AuthCore if needed.
   */
  get oauth(): RedirectSignIn {
    const flow = this.#redirectFlow
    if (!flow) throw new UsageError('auth.oauth needs a redirect method in methods (oidc(), google(), github(), microsoft())')
    const started = async () => {
      await this.#ctx()
      return flow
    }
    return Object.freeze({
      authorize: async (method: string, redirectTo: string) => (await started()).authorize(method, redirectTo),
      callback: async (method: string, url: string, cookie: string | null | undefined) => (await started()).callback(method, url, cookie),
      exchange: async (code: string, cookie: string | null | undefined) => (await started()).exchange(code, cookie),
    })
  }

  /** The account-mail service, started; a usage error without a mailer. */
  async #mail(operation: string): Promise<AccountEmailService> {
    if (!this.#accountEmail) throw new UsageError(`${operation} sends mail: set the mailer and appUrl options`)
    await this.#ctx()
    return this.#accountEmail
  }

  /**
   * Sends a password-reset link to `email` if it belongs to a user. Answers
   * the same, in about the same time, whether or not it does: the mail is
   * queued and goes out after the answer. Sends to one address, and from one
   * client address, are limited (a limited request answers alike too).
   * Needs a mailer. Over HTTP: `POST /password/forgot {email}` → 202.
   */
  async requestPasswordReset(input: PasswordResetRequest, context?: RequestContext): Promise<void> {
    return (await this.#mail('requestPasswordReset')).requestPasswordReset(input, context)
  }

  /**
   * Sets a new password with the token from a reset link: the password
   * policy applies, every session and token of the user ends, the address
   * counts as verified (the link proved it), and a notice is mailed. A
   * token that is unknown, used, expired or superseded by a newer link is
   * refused with its own code. Over HTTP: `POST /password/reset {token, pass}`.
   */
  async resetPassword(input: PasswordResetInput, context?: RequestContext): Promise<void> {
    return (await this.#mail('resetPassword')).resetPassword(input, context)
  }

  /**
   * Mails the caller a fresh verification link (voiding the previous one);
   * nothing when their address is verified already. Over HTTP:
   * `POST /email/verify/request` with a Bearer token.
   */
  async requestEmailVerification(options: AsCaller, context?: RequestContext): Promise<void> {
    return (await this.#mail('requestEmailVerification')).requestEmailVerification(options, context)
  }

  /**
   * Confirms an address with the token from a verification link: marks it
   * verified, or applies the email change the link was sent for (ending the
   * user's other sessions). Over HTTP: `POST /email/verify {token}`.
   */
  async verifyEmail(input: VerifyEmailInput, context?: RequestContext): Promise<void> {
    return (await this.#mail('verifyEmail')).verifyEmail(input, context)
  }

  /** Disables or re-enables a user (admins, not on themselves, by default); disabling ends their sessions and tokens. */
  async setDisabled(id: string, disabled: boolean, options: AsCaller): Promise<PublicUser> {
    return setDisabled(await this.#ctx(), id, disabled, options)
  }

  /** Clears a user's sign-in lockout and delays (admins by default). */
  async unlock(userId: string, options: AsCaller): Promise<void> {
    return unlock(await this.#ctx(), userId, options)
  }

  /** Adds an event listener. Listeners observe; a failing one never breaks an operation. */
  on<K extends keyof AuthEvents>(event: K, listener: AuthListener<AuthEvents, K>): this {
    this.#events.on(event, listener)
    return this
  }

  /** Removes an event listener. */
  off<K extends keyof AuthEvents>(event: K, listener: AuthListener<AuthEvents, K>): this {
    this.#events.off(event, listener)
    return this
  }

  /** Registers a hook for one of the closed list of points (see `HOOK_NAMES`). */
  hook<K extends HookName>(name: K, fn: Hook<K>): this {
    this.#hooks.add(name, fn)
    return this
  }

  /**
   * Closes plugins (in reverse order), the counter stores AuthCore created,
   * the storage plugin (even after a start that failed) and the mailer, then
   * drops listeners. A counter
   * store you passed as `rateLimit.store` is yours to close. Later calls
   * reject with `ERR_AUTH_CLOSED`.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#ready?.catch(() => undefined)
    try {
      await this.#started?.close()
    } finally {
      const storage = await this.#storage?.catch(() => undefined)
      await storage?.close()
      await this.#options.mailer?.close?.()
      this.#events.clear()
    }
  }
}
