/**
 * The email plugin's tokens: made with a purpose, a user and the address
 * the link went to; redeemed by one atomic consume inside the transaction
 * that makes the change; refused with a code that says why (unknown, used,
 * expired, or superseded by a newer link).
 */
import { randomUUID } from 'node:crypto'
import {
  AuthError, hashOneTimeSecret, isOneTimeSecret, newOneTimeSecret, type OneTimeTokenRecord, type PluginContext, type TransactionStore,
  type UserRecord,
} from '../../lib/index.js'

/** What each token is for (one-time-token purposes, namespaced by the plugin). */
export const PURPOSES = {
  reset: 'email:reset',
  verify: 'email:verify',
  change: 'email:change',
} as const

/** One of {@link PURPOSES}. */
export type Purpose = (typeof PURPOSES)[keyof typeof PURPOSES]

/** What a token's payload records: the address the link was sent to, and for an email change the rest of it. */
export interface TokenPayload {
  /** The canonical key of the address the link was mailed to. */
  readonly sentTo: string
  /**
   * The user's token version when the link was made. Whatever secures an
   * account (a reset, a password change, signing out everywhere, a disable,
   * an email-link reclaim) moves it, and with it every link made before.
   */
  readonly version: number
  /** For an email change: the key of the address being replaced, which must still be the user's when the link is used. */
  readonly fromKey?: string
  /** For an email change: the new address as typed, its key, and the session that asked (it survives the change). */
  readonly email?: string
  readonly emailKey?: string
  readonly keepFamily?: string
}

/**
 * Makes a token for `userId` and voids the user's earlier tokens of the same
 * purpose in the same statement (a new link supersedes the old).
 */
export async function issueToken(
  ctx: PluginContext,
  purpose: Purpose,
  user: UserRecord,
  ttlSeconds: number,
  payload: Omit<TokenPayload, 'version'>,
): Promise<{ secret: string; record: OneTimeTokenRecord }> {
  const { secret, secretHash } = newOneTimeSecret()
  const now = ctx.now()
  const record = await ctx.storage.oneTimeTokens!.createToken(
    {
      id: randomUUID(),
      purpose,
      userId: user.id,
      secretHash,
      payload: { ...payload, version: user.tokenVersion },
      createdAt: new Date(now),
      expiresAt: new Date(now + ttlSeconds * 1000),
    },
    { revokeOthers: true },
  )
  return { secret, record }
}

/** The usable token of one of `purposes` for a presented secret, or the error that says why there is none. */
export async function findUsable(ctx: PluginContext, purposes: readonly Purpose[], secret: unknown): Promise<OneTimeTokenRecord> {
  // Junk is refused before any query.
  if (!isOneTimeSecret(secret)) throw new AuthError('ERR_EMAIL_TOKEN_INVALID')
  const hash = hashOneTimeSecret(secret)
  const now = new Date(ctx.now())
  for (const purpose of purposes) {
    const found = await ctx.storage.oneTimeTokens!.findToken(purpose, hash, now)
    if (found) return found
  }
  throw await whyUnusable(ctx, purposes, hash)
}

/** Thrown inside the transaction when another redemption got the token first; classified after the rollback. */
const NOT_CONSUMED = Symbol('email: token not consumed')
/** Thrown inside the transaction when the user is no longer the one the link was made for. */
const STALE = Symbol('email: the user changed since the link was made')

/**
 * Whether `user`, as stored now, is still who `token` was made for: not
 * disabled, the same token version (nothing secured the account since), and
 * the address the link went to (for an email change: the address it replaces).
 */
export function stillFor(token: OneTimeTokenRecord, user: UserRecord | undefined): boolean {
  const payload = token.payload as Partial<TokenPayload> | null
  if (!user || user.disabled || !payload || typeof payload.version !== 'number' || user.tokenVersion !== payload.version) return false
  return user.emailKey === (token.purpose === PURPOSES.change ? payload.fromKey : payload.sentTo)
}

/**
 * Runs `change` with a step that consumes `token` inside the change's own
 * transaction: of any number of concurrent redemptions, one gets it; the
 * others roll back and are told why. In the same transaction the user is
 * read again and must still be who the link was made for ({@link stillFor}):
 * a change committed since the caller's first check (an email change while
 * the new password was being hashed) voids the link. The reason is looked up
 * only after the rollback: inside a transaction only its own store may be
 * used (on SQLite a read outside it would wait for the transaction to end).
 */
export async function redeem<T>(ctx: PluginContext, token: OneTimeTokenRecord, change: (consume: (tx: TransactionStore) => Promise<void>) => Promise<T>): Promise<T> {
  try {
    return await change(async (tx) => {
      if (!(await tx.oneTimeTokens!.consumeToken(token.purpose, token.secretHash, new Date(ctx.now())))) throw NOT_CONSUMED
      if (!stillFor(token, await tx.findUserById(token.userId!))) throw STALE
    })
  } catch (err) {
    if (err === NOT_CONSUMED) throw await whyUnusable(ctx, [token.purpose as Purpose], token.secretHash)
    if (err === STALE) throw await notFor(ctx, token)
    throw err
  }
}

/** Why a stored token does not work now; undefined while it does. */
function stateError(row: OneTimeTokenRecord, now: number): AuthError | undefined {
  if (row.revoked) return new AuthError('ERR_EMAIL_TOKEN_SUPERSEDED')
  if (row.consumedAt !== null) return new AuthError('ERR_EMAIL_TOKEN_USED')
  if (row.expiresAt.getTime() <= now) return new AuthError('ERR_EMAIL_TOKEN_EXPIRED')
  return undefined
}

/**
 * The error for a token whose user is no longer who it was made for: the
 * token's own state first (a concurrent redemption that used it also moved
 * the user's version, and "already used" is the truer answer), else invalid.
 */
export async function notFor(ctx: PluginContext, token: OneTimeTokenRecord): Promise<AuthError> {
  const row = await ctx.storage.oneTimeTokens!.lookupToken(token.purpose, token.secretHash)
  return (row && stateError(row, ctx.now())) ?? new AuthError('ERR_EMAIL_TOKEN_INVALID')
}

/** The error for a secret that found no usable token: looked up in any state, outside any transaction. */
async function whyUnusable(ctx: PluginContext, purposes: readonly Purpose[], hash: string): Promise<AuthError> {
  for (const purpose of purposes) {
    const row = await ctx.storage.oneTimeTokens!.lookupToken(purpose, hash)
    if (row) return stateError(row, ctx.now()) ?? new AuthError('ERR_EMAIL_TOKEN_INVALID')
  }
  return new AuthError('ERR_EMAIL_TOKEN_INVALID')
}
