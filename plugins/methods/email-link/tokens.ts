/**
 * The records of the email-link method, in the one-time-token store. One
 * purpose holds links and codes alike, and every token is filed under its
 * address (not a user: the link proves an address, whoever owns it when it
 * is used, or nobody yet), so one request voids the address's previous link
 * or code in the statement that makes the new one, and too many wrong codes
 * void everything outstanding for it.
 */
import { createHash, randomUUID } from 'node:crypto'
import {
  AuthError, hashOneTimeSecret, isOneTimeSecret, newOneTimeSecret, type NormalizedEmail, type OneTimeTokenRecord, type PluginContext,
  type TransactionStore,
} from '../../../lib/index.js'
import { codeHash, newCode } from './codes.js'

/** The one-time-token purpose of links and codes. */
export const PURPOSE = 'email-link:sign-in'

/** What a token's payload holds: the kind, and the address as typed (for a new account) and as keyed. */
export interface TokenPayload {
  /** A link's token, or a code. */
  readonly kind: 'link' | 'code'
  /** The address as typed in the request: a new account's email. */
  readonly email: string
  /** Its canonical key: the account it signs in is the one that has this key when it is used. */
  readonly emailKey: string
}

/**
 * The `userId` the address's tokens are filed under: a hash of its key, so
 * revocations reach every token of the address and no other (no user id
 * looks like it, and the store never sees the address there).
 */
export function addressSubject(emailKey: string): string {
  return `address:${createHash('sha256').update(emailKey).digest('base64url')}`
}

/** The payload of one of this method's tokens, or undefined for anything else. */
export function payloadOf(token: OneTimeTokenRecord): TokenPayload | undefined {
  const payload = token.payload as Partial<TokenPayload> | null
  if (payload === null || (payload.kind !== 'link' && payload.kind !== 'code')) return undefined
  if (typeof payload.email !== 'string' || typeof payload.emailKey !== 'string') return undefined
  return payload as TokenPayload
}

/** Inserts a token for the address and voids the address's earlier ones in the same statement. */
function create(ctx: PluginContext, email: NormalizedEmail, kind: TokenPayload['kind'], secretHash: string, ttlSeconds: number) {
  const now = ctx.now()
  const payload: TokenPayload = { kind, email: email.email, emailKey: email.key }
  return ctx.storage.oneTimeTokens!.createToken(
    {
      id: randomUUID(),
      purpose: PURPOSE,
      userId: addressSubject(email.key),
      secretHash,
      payload: { ...payload },
      createdAt: new Date(now),
      expiresAt: new Date(now + ttlSeconds * 1000),
    },
    { revokeOthers: true },
  )
}

/** A new link token for the address: 256 bits, kept as its SHA-256. */
export async function issueLink(ctx: PluginContext, email: NormalizedEmail, ttlSeconds: number) {
  const { secret, secretHash } = newOneTimeSecret()
  const record = await create(ctx, email, 'link', secretHash, ttlSeconds)
  return { secret, record }
}

/**
 * A new code for the address. The hash is unique in the store while a row
 * stays (used ones too, until purged): a code the address had before is
 * drawn again (one in 10^8 per earlier code).
 */
export async function issueCode(ctx: PluginContext, email: NormalizedEmail, ttlSeconds: number) {
  let code = newCode()
  for (let draws = 1; draws < 5 && (await ctx.storage.oneTimeTokens!.lookupToken(PURPOSE, codeHash(ctx, email.key, code))); draws++) code = newCode()
  const record = await create(ctx, email, 'code', codeHash(ctx, email.key, code), ttlSeconds)
  return { code, record }
}

/** The usable link token for a presented secret, or the error that says why there is none. */
export async function findLink(ctx: PluginContext, secret: unknown): Promise<OneTimeTokenRecord> {
  // Junk is refused before any query.
  if (!isOneTimeSecret(secret)) throw new AuthError('ERR_EMAIL_LINK_INVALID')
  const hash = hashOneTimeSecret(secret)
  const found = await ctx.storage.oneTimeTokens!.findToken(PURPOSE, hash, new Date(ctx.now()))
  if (found && payloadOf(found)?.kind === 'link') return found
  throw await whyUnusable(ctx, hash)
}

/** The usable code token of the address for a typed code, if there is one. */
export async function findCode(ctx: PluginContext, emailKey: string, code: string): Promise<OneTimeTokenRecord | undefined> {
  const found = await ctx.storage.oneTimeTokens!.findToken(PURPOSE, codeHash(ctx, emailKey, code), new Date(ctx.now()))
  return found && payloadOf(found)?.kind === 'code' && payloadOf(found)?.emailKey === emailKey ? found : undefined
}

/** Why a link's secret finds no usable token: looked up in any state (outside any transaction). */
export async function whyUnusable(ctx: PluginContext, hash: string): Promise<AuthError> {
  const row = await ctx.storage.oneTimeTokens!.lookupToken(PURPOSE, hash)
  if (!row || payloadOf(row)?.kind !== 'link') return new AuthError('ERR_EMAIL_LINK_INVALID')
  if (row.revoked) return new AuthError('ERR_EMAIL_LINK_SUPERSEDED')
  if (row.consumedAt !== null) return new AuthError('ERR_EMAIL_LINK_USED')
  return new AuthError('ERR_EMAIL_LINK_EXPIRED')
}

/** Thrown inside a transaction when the token was spent meanwhile; the caller says why once it has rolled back. */
export class Spent extends Error {
  constructor() {
    super('email-link: the token was consumed, revoked or expired meanwhile')
  }
}

/**
 * Consumes `token` (in `tx` when given): of any number of concurrent
 * redemptions exactly one gets it; the others throw {@link Spent}, which
 * rolls their transaction back.
 */
export async function consume(ctx: PluginContext, token: OneTimeTokenRecord, tx?: TransactionStore): Promise<void> {
  const store = (tx ?? ctx.storage).oneTimeTokens!
  if (!(await store.consumeToken(PURPOSE, token.secretHash, new Date(ctx.now())))) throw new Spent()
}

/** Voids every outstanding link and code of the address; answers how many. */
export function revokeAddress(ctx: PluginContext, emailKey: string): Promise<number> {
  return ctx.storage.oneTimeTokens!.revokeTokens(PURPOSE, addressSubject(emailKey), new Date(ctx.now()))
}
