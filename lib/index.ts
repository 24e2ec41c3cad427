export { AuthCore } from './auth-core.js'
export { DEFAULT_SQLITE_FILE } from './start.js'
export { AuthError, ERROR_CODES, isAuthError } from './errors.js'
export type { AuthErrorCode, AuthErrorOptions } from './errors.js'
export type { AuthEvents, AuthListener, ListenerErrorEvent } from './events.js'
export { HOOK_NAMES } from './hooks.js'
export type { AuthHooks, Hook, HookName } from './hooks.js'
export { ALGORITHMS } from './options.js'
export type { Algorithm, AuthCoreOptions, JsonWebKeyInput, JwksOptions, KeyMaterial, KeyOptions } from './options.js'
export type { Duration } from './duration.js'
export type {
  AdapterFactory, AuthPlugin, CredentialsMethod, ExternalIdentity, PluginContext, RedirectAttempt, RedirectMethod,
  RequestContext, SignInMethod,
} from './plugin-types.js'
export { MAX_PAGE_SIZE, REQUIRED_STORAGE_OPERATIONS } from './storage-types.js'
export type { ListUsersQuery, NewUser, StoragePlugin, UserPage, UserPatch, UserRecord, UserStore } from './storage-types.js'
export { ACCESS_TOKEN_TYPE } from './tokens/claims.js'
export type { AccessClaims } from './tokens/claims.js'
