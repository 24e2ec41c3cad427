/**
 * The sign-in method contracts: a credentials method (email and password,
 * checked by the method) and a redirect method (a provider, checked by the
 * method while AuthCore's `oauth` plugin runs the flow around it).
 */
import type { SignInFailure } from './events.js'
import type { HookRunner } from './hooks.js'
import type { SignInInput, SignUpInput } from './input.js'
import type { PasswordService } from './passwords/service.js'
import type { PluginContext, PluginContributions } from './plugin-types.js'
import type { StoragePlugin, UserRecord } from './storage-types.js'

/** The core's services a credentials method works with. */
export interface MethodContext {
  /** The storage plugin in use, already initialised. */
  readonly storage: StoragePlugin
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
export interface CredentialsMethod extends PluginContributions {
  /** Unique among the configured methods and plugins, for example `'basic'`. */
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
  /** Who vouches: the OpenID issuer, or a fixed identifier for a plain OAuth 2 provider (`https://github.com`). */
  issuer: string
  /** The provider's stable, never reassigned id for the user (OpenID `sub`; GitHub's numeric id). */
  subject: string
  /** The email the provider asserts, if any. */
  email?: string
  /** Whether the provider says it verified that email. Only `true` counts. */
  emailVerified?: boolean
  /** A display name, if the provider gives one. */
  name?: string
  /** The provider's own tokens, when the method was asked to keep them (stored encrypted with the identity). */
  tokens?: ProviderTokens
}

/** A provider's tokens for calling its APIs on the user's behalf. */
export interface ProviderTokens {
  readonly accessToken: string
  readonly refreshToken?: string
  /** ISO 8601, when the access token expires (if the provider said). */
  readonly expiresAt?: string
  /** The scopes granted, space-separated (if the provider said). */
  readonly scope?: string
}

/** One sign-in attempt's values, made and kept by AuthCore, checked on the way back. */
export interface RedirectAttempt {
  /** Unguessable, bound to the browser by a cookie; the provider echoes it. */
  state: string
  /** OpenID nonce: the ID token must carry it. */
  nonce: string
  /** PKCE code verifier (S256). */
  codeVerifier: string
  /** The callback URL registered at the provider. */
  redirectUri: string
}

/**
 * A sign-in method that sends the user to a provider and back (OpenID
 * Connect, OAuth 2). It only speaks the provider's protocol; AuthCore's
 * `oauth` plugin runs the flow around it (routes, the attempt cookie,
 * state, nonce and PKCE, accounts and linking, the one-time code).
 */
export interface RedirectMethod extends PluginContributions {
  /** Unique among the configured methods and plugins, for example `'google'`; it names the routes (`/oauth/google/...`). */
  readonly name: string
  readonly kind: 'redirect'
  /** The callback URL registered at the provider, when not `${appUrl}${basePath}/oauth/<name>/callback`. */
  readonly callbackUrl?: string
  /** Called once from `ready()`, after storage is initialised. */
  setup?(context: PluginContext): void | Promise<void>
  /** The provider URL to send the user to, carrying the attempt's state, nonce and PKCE challenge. */
  authorizationUrl(attempt: RedirectAttempt): Promise<URL>
  /**
   * Checks the provider's answer (`callbackUrl` is the callback request's
   * full URL) against the attempt: state, PKCE, the authorization response's
   * `iss` when present, the ID token's signature, issuer, audience, expiry
   * and nonce. Answers the identity it proves; throws on any failure.
   */
  callback(callbackUrl: URL, attempt: RedirectAttempt): Promise<ExternalIdentity>
}

/** A sign-in method: credentials (email and password) or redirect (a provider). */
export type SignInMethod = CredentialsMethod | RedirectMethod
