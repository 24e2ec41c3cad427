/**
 * The plugin contracts besides storage (see storage-types.ts): sign-in
 * methods, general plugins and framework adapters. Plugins depend on the
 * core through these types; the core never imports a plugin.
 */
import type { SignInFailure } from './events.js'
import type { HookRunner } from './hooks.js'
import type { SignInInput, SignUpInput } from './input.js'
import type { PasswordService } from './passwords/service.js'
import type { StoragePlugin, UserRecord } from './storage-types.js'

/** What the core hands a plugin or sign-in method when it is set up on `ready()`. */
export interface PluginContext {
  /** The storage plugin in use, already initialised. */
  readonly storage: StoragePlugin
}

/** The core's services a credentials method works with. */
export interface MethodContext extends PluginContext {
  /** Policy checks, hashing and verifying (bounded, constant-cost for unknown users). */
  readonly passwords: PasswordService
  /** Runs the `before*` hooks; a veto throws. */
  readonly hooks: Pick<HookRunner, 'run'>
  /** The role new users get and the roles a client may ask for on sign-up. */
  readonly roles: { readonly default: string; readonly signUp: ReadonlySet<string> }
}

/** The result of a credentials check: the user, or why not (never shown to the client). */
export type SignInOutcome =
  | { readonly ok: true; readonly user: UserRecord }
  | { readonly ok: false; readonly reason: SignInFailure; readonly email: string; readonly userId?: string }

/**
 * A method where the user hands credentials straight to the app (email and
 * password). The basic method is one. Input reaches it already checked
 * against the operation's schema.
 */
export interface CredentialsMethod {
  /** Unique among the configured methods, for example `'basic'`. */
  readonly name: string
  readonly kind: 'credentials'
  /** Called once from `ready()`, after storage is initialised. */
  setup?(context: PluginContext): void | Promise<void>
  /** Creates a user from sign-up input; throws an AuthError to refuse. */
  signUp(input: SignUpInput, context: MethodContext): Promise<UserRecord>
  /**
   * Checks credentials. Must cost the same whether or not the email exists.
   * On success, return the user as read before the credentials were checked
   * (its `tokenVersion` above all): the core compares it with the stored
   * row once the session exists, and refuses the sign-in if a revocation
   * committed in between. A row re-read after the check would hide one.
   */
  signIn(input: SignInInput, context: MethodContext): Promise<SignInOutcome>
}

/** The identity an external provider vouches for after a redirect sign-in. */
export interface ExternalIdentity {
  /** The provider's stable subject id for the user. */
  subject: string
  /** The email the provider asserts, if any. */
  email?: string
  /** Whether the provider verified that email. */
  emailVerified?: boolean
  /** A display name, if the provider gives one. */
  name?: string
}

/** Per-attempt values the core generates and checks for a redirect sign-in. */
export interface RedirectAttempt {
  /** Unguessable value bound to the user's browser; checked on return. */
  state: string
  /** PKCE code verifier. */
  codeVerifier: string
  /** Where the provider sends the user back. */
  redirectUri: string
}

/**
 * The slot for redirect-based methods (OAuth 2.0 / OpenID Connect). The
 * contract is fixed so such a method can be added without changing the core;
 * AuthCore ships none yet.
 */
export interface RedirectMethod {
  /** Unique among the configured methods, for example `'github'`. */
  readonly name: string
  readonly kind: 'redirect'
  /** Called once from `ready()`, after storage is initialised. */
  setup?(context: PluginContext): void | Promise<void>
  /** The provider URL to send the user to. */
  authorizationUrl(attempt: RedirectAttempt): Promise<URL>
  /** Exchanges the callback's parameters for the identity they prove. */
  callback(params: URLSearchParams, attempt: RedirectAttempt): Promise<ExternalIdentity>
}

/** A sign-in method: credentials-based now, redirect-based reserved. */
export type SignInMethod = CredentialsMethod | RedirectMethod

/** A general plugin: set up on `ready()`, released on `close()`. */
export interface AuthPlugin {
  /** Unique among the configured plugins. */
  readonly name: string
  setup?(context: PluginContext): void | Promise<void>
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
