/**
 * The plugin contracts besides storage (see storage-types.ts) and sign-in
 * methods (method-types.ts): what a plugin is handed, what it may declare
 * (routes, scopes, codes, events, hooks), general plugins and framework
 * adapters. Plugins depend on the core through these types; the core never
 * imports a plugin.
 */
import type { AuthCore } from './auth-core.js'
import type { Duration } from './duration.js'
import type { ErrorCodeDeclaration } from './errors.js'
import type { AuthEvents } from './events.js'
import type { AuthHooks, Hook, HookName } from './hooks.js'
import type { Mailer, MailMessage } from './mailer-types.js'
import type { SignedIn } from './operations/credentials.js'
import type { PasswordService } from './passwords/service.js'
import type { StoragePlugin, TransactionStore, UserPatch, UserRecord } from './storage-types.js'
import type { AccessClaims } from './tokens/claims.js'

/**
 * What the core hands a plugin or sign-in method when it is set up on
 * `ready()`: the started services, and the ways a plugin acts through the
 * core (events, hooks, limits, signing a user in) so that what it does is
 * limited, observed and revocable like the core's own operations.
 */
export interface PluginContext {
  /** AuthCore's public operations, for a plugin's routes and operations to build on. */
  readonly auth: PluginAuth
  /** The storage plugin in use, already initialised (its `oneTimeTokens` and `credentials` when it has them). */
  readonly storage: StoragePlugin
  /** The `mailer` option, when one is set. Send through {@link PluginContext.sendMail}, which queues. */
  readonly mailer: Mailer | undefined
  /** The `appUrl` option (the public origin, no trailing '/'), when set: build links under it, never from a request's Host. */
  readonly appUrl: string | undefined
  /** The `emailVerification` option. */
  readonly emailVerification: 'off' | 'optional' | 'required'
  /** The `redirectUrls` option: the exact URLs a redirect sign-in may send the browser back to. */
  readonly redirectUrls: readonly string[]
  /** The `trustedProviders` option: redirect methods whose verified emails may link to an existing account. */
  readonly trustedProviders: ReadonlySet<string>
  /** Policy checks, hashing and verifying passwords (bounded, constant-cost for unknown users). */
  readonly passwords: PasswordService
  /** The clock AuthCore uses (the `now` option), in milliseconds. */
  readonly now: () => number
  /** The role new users get (the `defaultRole` option). */
  readonly defaultRole: string
  /**
   * Emits one of this plugin's declared events (after the work is
   * committed). Emitting an event the plugin did not declare is a TypeError.
   */
  emit<K extends keyof AuthEvents>(event: K, payload: AuthEvents[K]): void
  /** Runs the hooks registered for `name` (a core hook or a declared one); the first AuthError thrown vetoes. */
  runHook<K extends HookName>(name: K, context: AuthHooks[K]): Promise<void>
  /**
   * Registers a hook, as `auth.hook()` does: how a plugin vetoes or shapes
   * the core's operations (and other plugins'). Only during `setup`; a
   * set-up that fails takes its hooks back.
   */
  hook<K extends HookName>(name: K, fn: Hook<K>): void
  /**
   * Counts a request from `clientAddress` against one of this plugin's
   * rate-limit scopes (its short name, as declared); throws
   * `ERR_AUTH_RATE_LIMITED` past the limit. Routes that declare `rateLimit`
   * are counted by the router; this is for operations called from code.
   */
  limit(scope: string, clientAddress: string | undefined): Promise<void>
  /**
   * Counts a request about `subject` (a recipient's email key, a user id)
   * against one of this plugin's scopes, whatever address it comes from;
   * throws `ERR_AUTH_RATE_LIMITED` past the limit. Only a hash of the
   * subject is stored. How a plugin bounds the mail sent to one address.
   * With `{ always: true }` it counts even when `rateLimit.enabled` is false:
   * for a bound that is part of a security guarantee (attempts at a short
   * code), not only abuse protection.
   */
  limitSubject(scope: string, subject: string, options?: { always?: boolean }): Promise<void>
  /**
   * Starts `subject`'s window of one of this plugin's scopes over: when a
   * new code is issued, its attempts count from zero (and with a window at
   * least the code's lifetime, no code gets more than the limit).
   */
  resetSubject(scope: string, subject: string): Promise<void>
  /**
   * Queues a message for the `mailer` and returns at once: it goes out after
   * the answer (so the response time does not tell whether a message was
   * sent), with retries; a message that cannot be sent is reported as an
   * `error` event (`event: 'mail'`). A usage error without a mailer.
   */
  sendMail(message: MailMessage): void
  /**
   * Reports a failure in work the plugin does after an answer (which no
   * caller can be told of) as an `error` event naming the plugin; never
   * throws. Say what failed, but put no secret in it.
   */
  reportError(error: unknown): void
  /**
   * HMAC-SHA256 of `value` under a server key derived from the signing key
   * (and namespaced by the plugin), base64url. For secrets too short to
   * store as a plain hash (an 8-digit code has 10^8 values: a plain SHA-256
   * in a leaked table is reversed in seconds; this one needs the key, which
   * is not in the database). Changes when the signing key does, so use it
   * only for short-lived secrets. `ERR_AUTH_NO_SIGNING_KEY` on a verify-only
   * instance.
   */
  keyedHash(value: string): string
  /**
   * Encrypts `plaintext` (AES-256-GCM, a fresh nonce each time) under a
   * server key derived from the signing key, bound to `label` (say what the
   * value is: `'oauth:provider-tokens'`): for secrets a plugin must keep at
   * rest and read back (a provider's tokens, a TOTP seed). The result is a
   * string for a JSON field. Rotating the signing key makes older values
   * unreadable. `ERR_AUTH_NO_SIGNING_KEY` on a verify-only instance.
   */
  seal(plaintext: string, label: string): string
  /**
   * Decrypts what {@link PluginContext.seal} made with the same `label`;
   * `ERR_AUTH_KEY_INVALID` when it was sealed under another key or label,
   * or was altered.
   */
  unseal(sealed: string, label: string): string
  /**
   * When the caller signed in to the session their access token came from
   * (its `sid`): the sign-in, not the latest refresh. Undefined when the
   * token names no live session of that user (no session storage, signed
   * out, revoked). How "a recent sign-in is required" is checked.
   */
  signedInAt(claims: AccessClaims): Promise<Date | undefined>
  /**
   * Changes a user as the core's own operations do: the patch, and with
   * `endSessions` the token version advanced and every refresh session
   * ended (all, or all but `{ except: familyId }`), in one transaction with
   * `atomicWith` (run first in it: consume the token that authorises the
   * change there, so a failure leaves the token usable and the user
   * unchanged). Caches of the user are dropped, and sessions a concurrent
   * refresh stored meanwhile are ended by a second pass. Answers the new
   * row, or undefined when the user is gone. Emits nothing: the plugin
   * emits its own event.
   */
  updateUser(userId: string, patch: UserPatch, options?: UpdateUserOptions): Promise<UserRecord | undefined>
  /**
   * Signs in a user the plugin has proven (an invite redeemed, a provider's
   * identity, a link from a mail): an access token and, with session
   * storage, a refresh session, exactly as a password sign-in makes them,
   * including the check that no revocation of the user committed while the
   * plugin was proving them. `user` must be the row read before that proof.
   * Emits `user:signed-in` with `method`: the plugin's name (the default) or
   * `'<plugin>:<what>'`; any other is a usage error.
   */
  signIn(user: UserRecord, method?: string): Promise<SignedIn>
  /**
   * Announces a user the plugin created (in its own transaction, say): emits
   * the core's `user:created` with `via` set to the plugin's name, after the
   * commit. Plugins that create users should also run the `beforeSignUp`
   * hook first, so the app's rules apply to every way in.
   */
  userCreated(user: UserRecord): void
}

/** How {@link PluginContext.updateUser} applies a change. */
export interface UpdateUserOptions {
  /** End the user's tokens and refresh sessions: all of them (`true`), or all but one family. */
  readonly endSessions?: boolean | { readonly except: string }
  /** Runs first, in the same transaction; throwing rolls the whole change back. */
  readonly atomicWith?: (tx: TransactionStore) => Promise<void>
  /**
   * After the change, clear the sign-in lockout and delays of the user's
   * address: the change proved who they are (a reset link), and a lockout
   * someone else caused must not keep them out. Default false.
   */
  readonly clearLockout?: boolean
}

/** AuthCore's operations as a plugin sees them (not `ready` or `close`: the plugin lives inside those). */
export type PluginAuth = Pick<
  AuthCore,
  | 'signUp' | 'signIn' | 'createUser' | 'verify' | 'authenticate' | 'profile' | 'profiles' | 'editProfile' | 'setRole'
  | 'setDisabled' | 'unlock' | 'refresh' | 'signOut' | 'revokeSessions' | 'sessions' | 'jwks' | 'basePath' | 'on' | 'off'
>

/** Storage parts and options a plugin can require; `ready()` refuses to start without them. */
export type PluginRequirement = 'sessions' | 'oneTimeTokens' | 'credentials' | 'mailer'

/** One call of a declared route. */
export interface RouteCall {
  /** The Web request (its body already read when the route has `input`). */
  readonly request: Request
  /** The JSON body, validated against the route's `input` schema; undefined without one. */
  readonly body: unknown
  /**
   * Reads the JSON body (once; size-capped by `maxBodySize`, `application/json`
   * only) for a route without `input` that validates it itself. With
   * `input`, this answers the body already read.
   */
  readJson(): Promise<unknown>
  /** The path parameters (`/invites/:code` gives `params.code`), percent-decoded. */
  readonly params: Readonly<Record<string, string>>
  /** The query string. */
  readonly query: URLSearchParams
  /** The caller's verified claims, when the route has `auth: 'bearer'`. */
  readonly claims: AccessClaims | undefined
  /** What the adapter knows about the request (the client address). */
  readonly context: RequestContext
}

/** HTTP methods a route may answer. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * One HTTP route, under `basePath`. The router validates in this order:
 * method, bearer token (`auth`), body (`input`), then the rate limit
 * (`rateLimit`, charged only for requests that passed the free checks), then
 * calls `handler`.
 */
export interface RouteDeclaration {
  readonly method: RouteMethod
  /** The path under `basePath`: literal segments and `:name` parameters, for example `/invites/:code`. */
  readonly path: string
  /**
   * A JSON Schema for the JSON body (compiled once with ajv). Without it the
   * body is not read. Unknown fields should be refused by the schema
   * (`additionalProperties: false`); a failing body is `ERR_AUTH_INPUT_INVALID`.
   */
  readonly input?: object
  /** `'bearer'`: a valid access token is required (401 otherwise); its claims are in `call.claims`. */
  readonly auth?: 'bearer'
  /** One of the owning plugin's rate-limit scopes (short name), charged per client address. */
  readonly rateLimit?: string
  /**
   * Answers the call: a Response, or any value, sent as JSON with status 200.
   * Throw an AuthError to refuse. `context` is the owning plugin's, as its
   * `setup` received it (the router starts AuthCore first).
   */
  handler(call: RouteCall, context: PluginContext): Promise<unknown>
}

/** A rate-limit scope's default: at most `limit` requests per `window` from one client address. */
export interface ScopeDefault {
  readonly limit: number
  readonly window: Duration
}

/**
 * What any plugin may contribute. Every field is optional; the core reads
 * them once, at `new AuthCore()`, so a conflict (two routes with one method
 * and path, two owners of an error code or scope) fails at construction with
 * `ERR_AUTH_PLUGIN_CONFLICT` naming both.
 */
export interface PluginContributions {
  /** HTTP routes under `basePath`. */
  readonly routes?: readonly RouteDeclaration[]
  /** Rate-limit scopes by short name; tuned by `rateLimit.scopes['<plugin>:<scope>']`. */
  readonly rateLimits?: Readonly<Record<string, ScopeDefault>>
  /** Error codes (`ERR_<AREA>_<WHAT>`), each with its status, message and docs description. */
  readonly errors?: Readonly<Record<string, ErrorCodeDeclaration>>
  /** Events the plugin emits, each named `<plugin>:<what>`; type them by augmenting `AuthEvents`. */
  readonly events?: readonly string[]
  /** Hooks the plugin runs, each named `before<What>`; type them by augmenting `AuthHooks`. */
  readonly hooks?: readonly string[]
  /** What `ready()` must find, or refuse to start. */
  readonly requires?: readonly PluginRequirement[]
}

/**
 * A general plugin: a plain object, usually made by a factory. It may
 * contribute routes, rate-limit scopes, error codes, events and hooks
 * (see {@link PluginContributions}); its own operations are methods on the
 * object, usable once `ready()` has set it up (docs/plugins.md).
 */
export interface AuthPlugin extends PluginContributions {
  /** Unique among the configured methods and plugins: lower-case letters, digits and `-`. It namespaces the plugin's scopes and events. */
  readonly name: string
  /** Called once from `ready()`, after storage is initialised, in the order plugins are listed. */
  setup?(context: PluginContext): void | Promise<void>
  /** Called from `auth.close()`, in reverse order, and when a later plugin's setup fails. */
  close?(): void | Promise<void>
}

/** What an adapter knows about a request that a Web `Request` cannot carry. */
export interface RequestContext {
  /** The peer's address as the socket saw it (or as a trusted proxy reported it). */
  clientAddress?: string
}

/**
 * A framework adapter turns the core's `handle(Request) -> Response` into the
 * framework's handler shape. `A` is the AuthCore type, `O` its options and
 * `H` the framework handler it returns.
 */
export type AdapterFactory<A, O, H> = (auth: A, options?: O) => H
