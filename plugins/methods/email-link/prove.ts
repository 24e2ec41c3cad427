/**
 * What a used link or code does: it proves the address, and the account
 * that has the address now (or a new one) is signed in.
 *
 * - A verified account: the token is consumed and the user signed in.
 * - An account never verified: someone may have made it with this address
 *   before its owner did (pre-account hijacking), so in the transaction that
 *   consumes the token its password is cleared, its address marked verified,
 *   its token version advanced and every session ended; then the owner is
 *   signed in and `email-link:account-reclaimed` says what happened.
 * - No account: with `signUp`, one is made in the transaction that consumes
 *   the token (verified, without a password, after the `beforeSignUp`
 *   hooks); without it, the link is refused like an unknown one.
 *
 * Everything that can refuse runs before the token is consumed, and a
 * failure after it rolls the consumption back, so a refused attempt leaves
 * the link usable.
 */
import { randomUUID } from 'node:crypto'
import {
  isAuthError, normalizeName, type AuthError, type OneTimeTokenRecord, type PluginContext, type SignedIn, type TransactionStore,
  type UserRecord,
} from '../../../lib/index.js'
import { consume, Spent, type TokenPayload } from './tokens.js'

/** A token found usable, and how to refuse for it. */
export interface Proof {
  readonly token: OneTimeTokenRecord
  readonly payload: TokenPayload
  /** The method named in `user:signed-in`: `'email-link'` for links, `'email-link:code'` for codes. */
  readonly method: 'email-link' | 'email-link:code'
  /** The name of a new account, when one is made (default: the address's local part). */
  readonly name?: string
  /** The error for an address that cannot sign in (the same as for an unknown token). */
  invalid(): AuthError
  /** The error for a token spent while this attempt ran. */
  spent(): Promise<AuthError>
}

/** Thrown inside a transaction when the account changed since it was read; the attempt starts over on the new row. */
class Moved extends Error {
  constructor() {
    super('email-link: the account changed meanwhile')
  }
}

/** Signs in whoever the proven address belongs to (or a new account for it). */
export async function signInProven(ctx: PluginContext, signUp: boolean, proof: Proof): Promise<SignedIn> {
  try {
    // A few rounds at most: each starts over only because a concurrent write changed what the last one read.
    for (let round = 1; ; round++) {
      try {
        const user = await ctx.storage.findUserByEmailKey(proof.payload.emailKey)
        if (user) return await existing(ctx, user, proof)
        if (!signUp) throw proof.invalid()
        return await created(ctx, proof)
      } catch (err) {
        // Made meanwhile (a sign-up with a password, say), or changed: prove it as it is now.
        if (round < 3 && (err instanceof Moved || isAuthError(err, 'ERR_AUTH_USER_EXISTS'))) continue
        throw err
      }
    }
  } catch (err) {
    if (err instanceof Spent) throw await proof.spent()
    if (err instanceof Moved) throw proof.invalid()
    throw err
  }
}

/** The address belongs to `user`, as read before the token is consumed. */
async function existing(ctx: PluginContext, user: UserRecord, proof: Proof): Promise<SignedIn> {
  if (user.disabled) throw proof.invalid()
  // The app's sign-in rules apply to this way in too (a veto leaves the link usable).
  await ctx.runHook('beforeSignIn', { input: Object.freeze({ email: user.emailKey }) })
  if (user.emailVerified) {
    await consume(ctx, proof.token)
    // The row read before the proof: a revocation that committed since refuses the sign-in.
    return ctx.signIn(user, proof.method)
  }
  const reclaimed = await ctx.updateUser(user.id, { passwordHash: null, emailVerified: true }, {
    endSessions: true,
    atomicWith: async (tx) => {
      await consume(ctx, proof.token, tx)
      // Still the account that was read: the same address, still unverified, still enabled.
      const current = await tx.findUserById(user.id)
      if (!current || current.emailKey !== proof.payload.emailKey || current.emailVerified || current.disabled) throw new Moved()
    },
  })
  if (!reclaimed) throw new Moved()
  ctx.emit('email-link:account-reclaimed', { userId: reclaimed.id, passwordCleared: user.passwordHash !== null })
  return ctx.signIn(reclaimed, proof.method)
}

/** No account has the address: make one (with `signUp`) in the transaction that consumes the token. */
async function created(ctx: PluginContext, proof: Proof): Promise<SignedIn> {
  const { email, emailKey } = proof.payload
  const name = normalizeName(proof.name ?? email.slice(0, email.lastIndexOf('@')))
  // The hook sees the canonical address and the role, and may change only the name (as for a password sign-up).
  const hookInput = { name } as { email: string; name: string; role: string }
  Object.defineProperties(hookInput, {
    email: { value: emailKey, enumerable: true, writable: false },
    role: { value: ctx.defaultRole, enumerable: true, writable: false },
  })
  await ctx.runHook('beforeSignUp', { input: hookInput })
  const record = await ctx.storage.transaction(async (tx: TransactionStore) => {
    await consume(ctx, proof.token, tx)
    return tx.createUser({
      id: randomUUID(), email, emailKey, name: normalizeName(hookInput.name), role: ctx.defaultRole, passwordHash: null, emailVerified: true,
    })
  })
  ctx.userCreated(record)
  return ctx.signIn(record, proof.method)
}
