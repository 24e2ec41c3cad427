/**
 * The email plugin's tokens: made with a purpose, a user and the address
 * the link went to; redeemed by one atomic consume inside the transaction
 * that makes the change; refused with a code that says why (unknown, used,
 * expired, or superseded by a newer link).
 */
import { randomUUID } from 'node:crypto'
import {
  AuthError, hashOneTimeSecret, isOneTimeSecret, newOneTimeSecret, type OneTimeTokenRecord, type PluginContext, type TransactionStore,
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
  userId: string,
  ttlSeconds: number,
  payload: TokenPayload,
): Promise<{ secret: string; record: OneTimeTokenRecord }> {
  const { secret, secretHash } = newOneTimeSecret()
  const now = ctx.now()
  const record = await ctx.storage.oneTimeTokens!.createToken(
    {
      id: randomUUID(),
      purpose,
      userId,
      secretHash,
      payload: { ...payload },
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

/**
 * Runs `change` with a step that consumes `token` inside the change's own
 * transaction: of any number of concurrent redemptions, one gets it; the
 * others roll back and are told why. The reason is looked up only after the
 * rollback: inside a transaction only its own store may be used (on SQLite a
 * read outside it would wait for the transaction to end).
 */
export async function redeem<T>(ctx: PluginContext, token: OneTimeTokenRecord, change: (consume: (tx: TransactionStore) => Promise<void>) => Promise<T>): Promise<T> {
  try {
    return await change(async (tx) => {
      if (!(await tx.oneTimeTokens!.consumeToken(token.purpose, token.secretHash, new Date(ctx.now())))) throw NOT_CONSUMED
    })
  } catch (err) {
    if (err === NOT_CONSUMED) throw await whyUnusable(ctx, [token.purpose as Purpose], token.secretHash)
    throw err
  }
}

/** The error for a secret that found no usable token: looked up in any state, outside any transaction. */
async function whyUnusable(ctx: PluginContext, purposes: readonly Purpose[], hash: string): Promise<AuthError> {
  for (const purpose of purposes) {
    const row = await ctx.storage.oneTimeTokens!.lookupToken(purpose, hash)
    if (!row) continue
    if (row.revoked) return new AuthError('ERR_EMAIL_TOKEN_SUPERSEDED')
    if (row.consumedAt !== null) return new AuthError('ERR_EMAIL_TOKEN_USED')
    return new AuthError('ERR_EMAIL_TOKEN_EXPIRED')
  }
  return new AuthError('ERR_EMAIL_TOKEN_INVALID')
}
