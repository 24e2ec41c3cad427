/**
 * From a provider's identity to a local user. An identity is a credential of
 * kind `oauth`, keyed by (issuer, subject), never by the email: emails change
 * hands, and some providers let anyone claim any address. A first sign-in
 * creates a user, unless the email is taken: then it links only when the
 * provider verified the email, the local account's email is verified, and
 * the method is one of `trustedProviders`; otherwise the user is asked to
 * sign in and link from their account.
 */
import { createHash, randomUUID } from 'node:crypto'
import {
  AuthError, isAuthError, normalizeEmail, normalizeName, type ExternalIdentity, type PluginContext, type ProviderTokens, type UserRecord,
} from '../../lib/index.js'

/** The credential kind of linked identities. */
export const IDENTITY_KIND = 'oauth'

/** The credential subject of an identity: a hash of (issuer, subject), so any length fits the store. */
export function identitySubject(identity: Pick<ExternalIdentity, 'issuer' | 'subject'>): string {
  return createHash('sha256').update(`${identity.issuer}\0${identity.subject}`).digest('base64url')
}

/** The label provider tokens are sealed under. */
const TOKENS_LABEL = 'oauth:provider-tokens'

/** What is kept about a linked identity; the provider's tokens only when the method keeps them, and then sealed. */
function identityData(ctx: PluginContext, provider: string, identity: ExternalIdentity): Record<string, unknown> {
  return {
    provider, issuer: identity.issuer, subject: identity.subject,
    ...(identity.email !== undefined && { email: identity.email }),
    ...(identity.tokens !== undefined && { tokens: ctx.seal(JSON.stringify(identity.tokens), TOKENS_LABEL) }),
  }
}

/** The provider tokens kept for a user's identity at `provider`, opened; undefined when none are kept. */
export async function providerTokens(ctx: PluginContext, userId: string, provider: string): Promise<ProviderTokens | undefined> {
  const identities = await ctx.storage.credentials!.listCredentials(userId, IDENTITY_KIND)
  const sealed = identities.find((c) => c.data.provider === provider && typeof c.data.tokens === 'string')?.data.tokens as string | undefined
  return sealed === undefined ? undefined : (JSON.parse(ctx.unseal(sealed, TOKENS_LABEL)) as ProviderTokens)
}

/** The user an identity signs in as: found by the identity, created, or linked by the rules above. */
export async function userFor(ctx: PluginContext, provider: string, identity: ExternalIdentity): Promise<{ user: UserRecord; created: boolean }> {
  const credentials = ctx.storage.credentials!
  const subject = identitySubject(identity)
  const linked = await credentials.findCredentialBySubject(IDENTITY_KIND, subject)
  if (linked) {
    const user = await ctx.storage.findUserById(linked.userId)
    if (!user || user.disabled) throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS')
    // Fresh provider tokens replace the kept ones; a concurrent sign-in that wrote first wins (its tokens are as fresh).
    const data = identityData(ctx, provider, identity)
    await ctx.storage.credentials!.updateCredential(user.id, linked.id, linked.version, { data, lastUsedAt: new Date(ctx.now()) })
    return { user, created: false }
  }
  if (identity.email === undefined || identity.email === '') throw new AuthError('ERR_OAUTH_EMAIL_REQUIRED')
  let email
  try {
    email = normalizeEmail(identity.email)
  } catch {
    throw new AuthError('ERR_OAUTH_EMAIL_REQUIRED')
  }
  // Refused before any look-up: an address the provider did not verify must
  // not learn, from the answer, whether it is registered here.
  if (identity.emailVerified !== true) throw new AuthError('ERR_OAUTH_EMAIL_UNVERIFIED')
  const existing = await ctx.storage.findUserByEmailKey(email.key)
  if (existing) {
    // Only a verified email on both sides, from a provider the app trusts with it, links by itself.
    const links = existing.emailVerified && !existing.disabled && ctx.trustedProviders.has(provider)
    if (!links) throw new AuthError('ERR_OAUTH_ACCOUNT_EXISTS')
    try {
      await credentials.createCredential({ id: randomUUID(), userId: existing.id, kind: IDENTITY_KIND, subject, data: identityData(ctx, provider, identity) })
    } catch (err) {
      // The same first sign-in, twice at once: the other one linked it.
      if (isAuthError(err, 'ERR_AUTH_CREDENTIAL_EXISTS')) return userFor(ctx, provider, identity)
      throw err
    }
    ctx.emit('oauth:linked', { userId: existing.id, provider })
    return { user: existing, created: false }
  }
  const name = safeName(identity.name, email.email)
  const signUp = { input: { email: email.key, name, role: ctx.defaultRole } }
  await ctx.runHook('beforeSignUp', signUp)
  try {
    const user = await ctx.storage.transaction(async (tx) => {
      const created = await tx.createUser({
        id: randomUUID(), email: email.email, emailKey: email.key, name: normalizeName(signUp.input.name), role: ctx.defaultRole,
        passwordHash: null, emailVerified: true,
      })
      await tx.credentials!.createCredential({ id: randomUUID(), userId: created.id, kind: IDENTITY_KIND, subject, data: identityData(ctx, provider, identity) })
      return created
    })
    ctx.userCreated(user)
    return { user, created: true }
  } catch (err) {
    // Another request made the account (or linked the identity) meanwhile: sign in again.
    if (isAuthError(err, 'ERR_AUTH_USER_EXISTS')) throw new AuthError('ERR_OAUTH_ACCOUNT_EXISTS')
    if (isAuthError(err, 'ERR_AUTH_CREDENTIAL_EXISTS')) return userFor(ctx, provider, identity)
    throw err
  }
}

/** The provider's display name if it is one AuthCore accepts, else the address's local part. */
function safeName(name: string | undefined, email: string): string {
  if (name !== undefined) {
    try {
      return normalizeName(name)
    } catch {
      // Fall through: a provider's odd name must not block the sign-in.
    }
  }
  return normalizeName(email.slice(0, email.indexOf('@')).slice(0, 64) || 'user')
}

/**
 * Links an identity to a signed-in user (an explicit link): refused when the
 * identity belongs to another user; nothing to do when it is theirs already.
 */
export async function linkTo(ctx: PluginContext, provider: string, identity: ExternalIdentity, userId: string): Promise<void> {
  const credentials = ctx.storage.credentials!
  const subject = identitySubject(identity)
  const linked = await credentials.findCredentialBySubject(IDENTITY_KIND, subject)
  if (linked) {
    if (linked.userId !== userId) throw new AuthError('ERR_OAUTH_IDENTITY_TAKEN')
    return
  }
  try {
    await credentials.createCredential({ id: randomUUID(), userId, kind: IDENTITY_KIND, subject, data: identityData(ctx, provider, identity) })
  } catch (err) {
    // Linked by someone else between the look-up and the insert.
    if (isAuthError(err, 'ERR_AUTH_CREDENTIAL_EXISTS')) throw new AuthError('ERR_OAUTH_IDENTITY_TAKEN')
    throw err
  }
  ctx.emit('oauth:linked', { userId, provider })
}

/**
 * Unlinks the user's identities of one provider; refused when it would
 * leave the user no way to sign in (no password and no other identity).
 * Answers how many were removed.
 */
export async function unlink(ctx: PluginContext, provider: string, user: UserRecord): Promise<number> {
  return ctx.storage.transaction(async (tx) => {
    // Writing the user's row first locks it: two unlinks at once take turns,
    // and the second sees what the first removed (both could otherwise pass
    // the check and leave no way in).
    const current = await tx.updateUser(user.id, {})
    if (!current) throw new AuthError('ERR_AUTH_TOKEN_REVOKED')
    const identities = await tx.credentials!.listCredentials(user.id, IDENTITY_KIND)
    const mine = identities.filter((c) => c.data.provider === provider)
    if (mine.length === 0) return 0
    if (current.passwordHash === null && mine.length === identities.length) throw new AuthError('ERR_OAUTH_LAST_SIGN_IN_METHOD')
    let removed = 0
    for (const credential of mine) if (await tx.credentials!.deleteCredential(user.id, credential.id)) removed++
    return removed
  })
}
