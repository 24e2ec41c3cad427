import { randomUUID } from 'node:crypto'
import {
  AuthError, normalizeEmail, normalizeName, type CredentialsMethod, type MethodContext, type RouteDeclaration, type SignInInput,
  type SignInOutcome, type SignUpInput, type UserRecord,
} from '../../lib/index.js'

/** The role a sign-up gets: the default, or one from the explicit allow-list; anything else is refused. */
function signUpRole(requested: string | undefined, roles: MethodContext['roles']): string {
  if (requested === undefined || requested === roles.default) return roles.default
  if (roles.signUp.has(requested)) return requested
  throw new AuthError('ERR_AUTH_ROLE_NOT_ALLOWED', `The role '${requested}' cannot be chosen at sign-up`)
}

async function signUp(input: SignUpInput, ctx: MethodContext): Promise<UserRecord> {
  const { email, key } = normalizeEmail(input.email)
  const role = signUpRole(input.role, ctx.roles)
  const pass = ctx.passwords.checkNew(input.pass)
  // The hook sees the canonical email and may change only the name.
  const hookInput = { name: normalizeName(input.name) } as { email: string; name: string; role: string }
  Object.defineProperties(hookInput, {
    email: { value: key, enumerable: true, writable: false },
    role: { value: role, enumerable: true, writable: false },
  })
  await ctx.hooks.run('beforeSignUp', { input: hookInput })
  const name = normalizeName(hookInput.name)
  const passwordHash = await ctx.passwords.hash(pass)
  // No look-up first: the unique index decides, so concurrent sign-ups make one user.
  return ctx.storage.createUser({ id: randomUUID(), email, emailKey: key, name, role, passwordHash })
}

async function signIn(input: SignInInput, ctx: MethodContext): Promise<SignInOutcome> {
  const { key } = normalizeEmail(input.email)
  const pass = ctx.passwords.normalize(input.pass)
  await ctx.hooks.run('beforeSignIn', { input: Object.freeze({ email: key }) })
  const user = await ctx.storage.findUserByEmailKey(key)
  // Verify even when there is no user or no hash: the dummy hash makes both cost the same.
  const ok = await ctx.passwords.verify(user?.passwordHash, pass)
  if (!user) return { ok: false, reason: 'unknown-email', email: key }
  if (!ok) return { ok: false, reason: user.passwordHash ? 'wrong-password' : 'no-password', email: key, userId: user.id }
  if (user.disabled) return { ok: false, reason: 'disabled', email: key, userId: user.id }
  if (!ctx.passwords.needsRehash(user.passwordHash!)) return { ok: true, user }
  // Legacy bcrypt or weaker argon2 parameters: replace the hash now that we
  // hold the password, but only the hash that was verified. A password change
  // that committed meanwhile must win; the sign-in then meets its token
  // version bump when the session is made.
  try {
    const passwordHash = await ctx.passwords.hash(pass)
    const upgraded = await ctx.storage.updateUser(user.id, { passwordHash, ifPasswordHash: user.passwordHash })
    // The core detects a revocation made during the verify by the token
    // version of the row returned: it must be the version read before the
    // verify, so a row that moved on meanwhile is not handed back.
    return { ok: true, user: upgraded !== undefined && upgraded.tokenVersion === user.tokenVersion ? upgraded : user }
  } catch {
    // The sign-in itself succeeded; the re-hash is retried on the next one.
    return { ok: true, user }
  }
}

/**
 * The email + password sign-in method, and the default one. Passwords are
 * checked against the `passwordPolicy` and hashed with argon2id; legacy
 * bcrypt hashes sign in and are replaced on the way.
 *
 * ```ts
 * import { basic } from 'authcore/methods/basic'
 * new AuthCore({ secret, methods: [basic()] })
 * ```
 */
export function basic(): CredentialsMethod {
  return Object.freeze({
    name: 'basic',
    kind: 'credentials' as const,
    signUp,
    signIn,
    // Space Cloud's two routes. The operations validate the body and charge
    // the sign-up and sign-in limits themselves, as they do when called from code.
    routes: Object.freeze([
      { method: 'POST', path: '/email/signup', handler: async (call, { auth }) => auth.signUp((await call.readJson()) as never, call.context) },
      { method: 'POST', path: '/email/signin', handler: async (call, { auth }) => auth.signIn((await call.readJson()) as never, call.context) },
    ] satisfies RouteDeclaration[]),
  })
}
