/*
 * `authcore`: the public entry point. Apps import from here, and so does
 * every plugin (plugins/ and third-party ones alike): nothing else under lib/
 * is public, and test/architecture.test.ts holds plugins to that.
 */

// The core: the AuthCore class, its lifecycle events and hooks
export { AuthCore } from './auth-core.js'
export type { AuthEvents, AuthListener, ListenerErrorEvent, SignInFailure } from './events.js'
export { HOOK_NAMES } from './hooks.js'
export type { AuthHooks, Hook, HookName, HookRunner } from './hooks.js'

// Errors: the one AuthError and its code registry, UsageError for misuse, backend failures mapped to codes
export { AuthError, ERROR_CODES, errorCodeInfo, isAuthError, registerErrorCodes, toAuthError, UsageError } from './errors.js'
export type { AuthErrorCode, AuthErrorOptions, BackendFailure, ErrorCodeDeclaration, PluginErrorCodes } from './errors.js'

// Options and keys: what `new AuthCore()` takes, key material, durations and the access-token claims
export { ALGORITHMS } from './options.js'
export type { Algorithm, AuthCoreOptions, JsonWebKeyInput, JwksOptions, KeyMaterial, KeyOptions } from './options.js'
export type { Duration } from './duration.js'
export { ACCESS_TOKEN_TYPE } from './tokens/claims.js'
export type { AccessClaims } from './tokens/claims.js'

// Plugin contract: plugins, sign-in methods, their routes, and framework adapters
export type {
  AdapterFactory, AuthPlugin, PluginAuth, PluginContext, PluginContributions, PluginRequirement, RequestContext, RouteCall,
  RouteDeclaration, RouteMethod, ScopeDefault, UpdateUserOptions,
} from './plugin-types.js'
export type {
  CredentialsMethod, ExternalIdentity, MethodContext, ProviderTokens, RedirectAttempt, RedirectMethod, SignInMethod, SignInOutcome,
} from './method-types.js'

// Storage contract: users, transactions, one-time tokens and credentials, and the default SQLite file
export { DEFAULT_SQLITE_FILE } from './defaults.js'
export { MAX_PAGE_SIZE, REQUIRED_STORAGE_OPERATIONS } from './storage-types.js'
export type {
  ListUsersQuery, NewUser, StoragePlugin, TransactionStore, UserPage, UserPatch, UserRecord, UserStore,
} from './storage-types.js'
export { MAX_ONE_TIME_PAYLOAD_BYTES, REQUIRED_ONE_TIME_TOKEN_OPERATIONS } from './one-time-token-types.js'
export type { NewOneTimeToken, OneTimeTokenRecord, OneTimeTokenStore } from './one-time-token-types.js'
export { MAX_CREDENTIAL_DATA_BYTES, REQUIRED_CREDENTIAL_OPERATIONS } from './credential-types.js'
export type { CredentialPatch, CredentialRecord, CredentialStore, NewCredential } from './credential-types.js'

// Sessions: refresh sessions and their store, what sign-in and refresh return
export { MAX_SESSION_METHOD_LENGTH, REQUIRED_SESSION_OPERATIONS } from './session-types.js'
export type { NewSession, RotateResult, SessionRecord, SessionStore } from './session-types.js'
export type { PurgeResult, SessionInfo, TokenPair } from './operations/sessions.js'
export type { SignedIn } from './operations/credentials.js'
export type { EditProfileResult } from './operations/edit-profile.js'
export type { RedirectSignIn } from './redirect-sign-in-types.js'

// Rate limits: the counter store contract, the in-memory store and the settings
export { REQUIRED_RATE_LIMIT_OPERATIONS } from './rate-limit-types.js'
export type { CounterState, RateLimitStore } from './rate-limit-types.js'
export { MemoryRateLimitStore } from './rate-limit/memory-store.js'
export type { MemoryRateLimitStoreOptions } from './rate-limit/memory-store.js'
export type { AddressLimit, RateLimitOptions } from './rate-limit/settings.js'

// Passwords: the policy, the service and the argon2id hasher
export type { PasswordOptions, PasswordService } from './passwords/service.js'
export type { PasswordPolicyOptions } from './passwords/policy.js'
export { argon2Hasher, ARGON2_MINIMUM } from './passwords/hasher.js'
export type { Argon2Params, PasswordHasher } from './passwords/hasher.js'

// Users and input: public users, email and name rules, operation inputs, access rules and callers
export { toPublicUser } from './users/public-user.js'
export type { PublicUser } from './users/public-user.js'
export { assertMailable, MAX_EMAIL_LENGTH, normalizeEmail } from './email.js'
export type { NormalizedEmail } from './email.js'
export { normalizeName } from './users/name.js'
export type { EditProfileInput, ProfilesQuery, SignInInput, SignUpInput } from './input.js'
export type { AccessRules, Caller } from './access.js'
export type { AsCaller } from './operations/context.js'

// Mail: the mailer contract, and account mail (reset, verification, email change)
export type { Mailer, MailMessage } from './mailer-types.js'
export type {
  AccountEmailOptions, AccountEmailService, AccountMailKind, MailContent, MailTemplate, MailTemplateInput, PasswordResetInput,
  PasswordResetRequest, VerifyEmailInput,
} from './account-email-types.js'

// Toolkit for plugins: option checks, HTTP error answers and a bounded map
export { optionsCheck } from './schema.js'
export { errorResponse, json as jsonResponse } from './http/respond.js'
export { toSeconds } from './duration.js'
export { BoundedMap } from './bounded-map.js'
export { hashOneTimeSecret, isOneTimeSecret, newOneTimeSecret } from './secrets.js'
