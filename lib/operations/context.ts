import type { AccessRules } from '../access.js'
import { AuthError, UsageError } from '../errors.js'
import type { AuthEvents, EventHub } from '../events.js'
import type { HookRunner } from '../hooks.js'
import type { ResolvedOptions } from '../options-validate.js'
import type { PasswordService } from '../passwords/service.js'
import type { CredentialsMethod, MethodContext } from '../method-types.js'
import type { StoragePlugin, UserRecord } from '../storage-types.js'
import type { AccessClaims } from '../tokens/claims.js'
import type { Caller } from '../access.js'
import type { Limiter } from '../rate-limit/limiter.js'
import type { AccountEmailService } from '../account-email-types.js'

/** What every operation works with, assembled once by `ready()`. */
export interface CoreContext {
  readonly options: ResolvedOptions
  readonly storage: StoragePlugin
  readonly passwords: PasswordService
  readonly hooks: HookRunner
  readonly events: EventHub<AuthEvents>
  readonly rules: Required<AccessRules>
  /** Rate limits and account lockout. */
  readonly limiter: Limiter
  /** The credentials method sign-up and sign-in go through. */
  readonly method: CredentialsMethod
  readonly methodContext: MethodContext
  /**
   * Signs an access token for a stored user, naming its refresh session
   * family when there is one, and how the user signed in (`amr`) when known.
   */
  issueToken(user: UserRecord, sessionId?: string, method?: string): Promise<string>
  /** The server key refresh successors are derived with; undefined without a signing key. */
  readonly refreshKey: Buffer | undefined
  /** The server key plugins' keyed hashes use; undefined without a signing key. */
  readonly pluginKey: Buffer | undefined
  /** The server key plugins encrypt at rest with; undefined without a signing key. */
  readonly sealKey: Buffer | undefined
  /** Drops what this instance caches about a user (verified tokens, token version) after a change. */
  forgetUser(userId: string): void
  /** Account mail (reset, verification, email change), when a mailer is set. */
  readonly accountEmail: AccountEmailService | undefined
}

/** Options every access-checked operation takes: who is asking. */
export interface AsCaller {
  /** The caller's verified claims, from `auth.verify()` or `auth.authenticate()`. */
  as: AccessClaims
}

/**
 * The caller as stored now: their current role (a role change takes effect at
 * once, whatever the token says). A caller whose user is gone or disabled, or
 * whose token predates their latest token version (password or role change,
 * revoked sessions), is refused with `ERR_AUTH_TOKEN_REVOKED`.
 */
export async function loadCaller(ctx: CoreContext, options: AsCaller | undefined): Promise<Caller & { record: UserRecord }> {
  const claims = options?.as
  if (claims === null || typeof claims !== 'object' || typeof claims.sub !== 'string') {
    throw new UsageError("this operation needs { as: claims } with the caller's verified claims")
  }
  const record = await ctx.storage.findUserById(claims.sub)
  if (!record || record.disabled || (claims.ver ?? 0) !== record.tokenVersion) throw new AuthError('ERR_AUTH_TOKEN_REVOKED')
  return Object.freeze({ id: record.id, role: record.role, isAdmin: ctx.options.adminRoles.has(record.role), record })
}
