/**
 * An invite-only sign-up, written as a third party would write an AuthCore
 * plugin: it imports only the package's public entry point, and contributes
 * routes, a rate-limit scope, error codes, events and a hook, keeping its
 * records in the two generic stores (one-time tokens for the codes,
 * credentials for who redeemed what).
 *
 * ```ts
 * const invites = invitesPlugin({ closeSignUp: true })
 * const auth = new AuthCore({ secret, plugins: [invites] })
 * await auth.ready()
 * const { code } = await invites.create({ by: adminId })   // or POST /auth/invites as an admin
 * // the invitee: POST /auth/invites/redeem { code, email, name, pass } -> { user, token, refreshToken }
 * ```
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import {
  AuthError, normalizeEmail, normalizeName, UsageError, type AccessClaims, type AuthPlugin, type PluginContext, type RouteDeclaration,
  type SignedIn, type SignUpInput,
} from '../../lib/index.js'

// Typed events, hook and error codes: a listener for 'invites:redeemed' is type-checked.
declare module '../../lib/index.js' {
  interface AuthEvents {
    /** An invite code was made. `by` is who made it. */
    'invites:created': { inviteId: string; by: string; expiresAt: string }
    /** An invite code was redeemed: a user now exists for it. */
    'invites:redeemed': { inviteId: string; userId: string; by: string }
  }
  interface AuthHooks {
    /** Before an invite is redeemed: veto to refuse (for example a domain the inviter may not invite). */
    beforeInviteRedeem: { inviteId: string; email: string; by: string }
  }
  interface PluginErrorCodes {
    ERR_INVITE_INVALID: true
    ERR_INVITE_REQUIRED: true
  }
}

/** Options of {@link invitesPlugin}. */
export interface InvitesOptions {
  /** How long a code stays valid, in seconds. Default 7 days. */
  ttl?: number
  /** Refuse ordinary sign-up (`/email/signup`), so the only way in is an invite. Default false. */
  closeSignUp?: boolean
  /** Roles that may create invites over HTTP. Default `['admin']`. */
  inviterRoles?: readonly string[]
}

/** What redeeming an invite takes: the code, and the sign-up fields of the new user (no role: invitees get the default). */
export interface RedeemInput extends Omit<SignUpInput, 'role'> {
  code: string
}

/** The plugin object: its declarations, and its operations for server code. */
export interface InvitesPlugin extends AuthPlugin {
  /** Makes a single-use invite code. `email`, when given, is the only address that may redeem it. */
  create(input: { by: string; email?: string }): Promise<{ code: string; inviteId: string; expiresAt: string }>
  /** Redeems a code: creates the user and signs them in. */
  redeem(input: RedeemInput, clientAddress?: string): Promise<SignedIn>
}

const PURPOSE = 'invites:invite'
const KIND = 'invites:redeemed'
const CODE = /^[A-Za-z0-9_-]{43}$/

const hashCode = (code: string) => createHash('sha256').update(code).digest('base64url')

const redeemInput = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'email', 'name', 'pass'],
  properties: {
    code: { type: 'string', minLength: 1, maxLength: 64 },
    email: { type: 'string', minLength: 1, maxLength: 1024 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    pass: { type: 'string', minLength: 1, maxLength: 4096 },
  },
}

const createInput = {
  type: 'object',
  additionalProperties: false,
  properties: { email: { type: 'string', minLength: 1, maxLength: 1024 } },
}

/** Makes the invites plugin. Keep the object: its `create` and `redeem` work once `auth.ready()` has run. */
export function invitesPlugin(options: InvitesOptions = {}): InvitesPlugin {
  const ttl = options.ttl ?? 7 * 86_400
  const inviterRoles = new Set(options.inviterRoles ?? ['admin'])
  let context: PluginContext | undefined
  // The sign-ups this plugin itself runs, which its own closeSignUp veto lets through.
  const redeeming = new WeakSet<object>()
  const started = (): PluginContext => {
    if (!context) throw new UsageError('invites: call auth.ready() before using the plugin')
    return context
  }

  async function create(input: { by: string; email?: string }, ctx = started()) {
    const email = input.email === undefined ? undefined : normalizeEmail(input.email).key
    const code = randomBytes(32).toString('base64url')
    const now = ctx.now()
    const token = await ctx.storage.oneTimeTokens!.createToken({
      id: randomUUID(),
      purpose: PURPOSE,
      userId: null,
      secretHash: hashCode(code),
      payload: { by: input.by, ...(email !== undefined && { email }) },
      createdAt: new Date(now),
      expiresAt: new Date(now + ttl * 1000),
    })
    const expiresAt = token.expiresAt.toISOString()
    ctx.emit('invites:created', { inviteId: token.id, by: input.by, expiresAt })
    return { code, inviteId: token.id, expiresAt }
  }

  /** Redeems without charging the scope (the router charged it already for HTTP). */
  async function redeemWith(ctx: PluginContext, input: RedeemInput) {
    // Everything that can be refused for free is refused before the code is looked at.
    const email = normalizeEmail(input.email)
    const name = normalizeName(input.name)
    const pass = ctx.passwords.checkNew(input.pass)
    if (!CODE.test(input.code)) throw new AuthError('ERR_INVITE_INVALID')
    const now = new Date(ctx.now())
    const secretHash = hashCode(input.code)
    const found = await ctx.storage.oneTimeTokens!.findToken(PURPOSE, secretHash, now)
    const invited = found?.payload as { by: string; email?: string } | null | undefined
    // A wrong address must not burn the code: checked before it is consumed.
    if (!found || !invited || (invited.email !== undefined && invited.email !== email.key)) throw new AuthError('ERR_INVITE_INVALID')
    await ctx.runHook('beforeInviteRedeem', { inviteId: found.id, email: email.key, by: invited.by })
    // The app's sign-up rules apply to this way in too (the plugin's own
    // closeSignUp veto lets its redemptions through: they are the way in).
    const signUp = { input: { email: email.key, name, role: ctx.defaultRole } }
    redeeming.add(signUp)
    await ctx.runHook('beforeSignUp', signUp)
    const passwordHash = await ctx.passwords.hash(pass)
    // One transaction: the code is used up only if the user and the record
    // of the redemption exist too (an email already taken leaves the code usable).
    const record = await ctx.storage.transaction(async (tx) => {
      // Only one of any number of concurrent redemptions gets the row.
      if (!(await tx.oneTimeTokens!.consumeToken(PURPOSE, secretHash, now))) throw new AuthError('ERR_INVITE_INVALID')
      const user = await tx.createUser({
        id: randomUUID(), email: email.email, emailKey: email.key, name: normalizeName(signUp.input.name), role: ctx.defaultRole, passwordHash,
      })
      await tx.credentials!.createCredential({ id: randomUUID(), userId: user.id, kind: KIND, subject: found.id, data: { by: invited.by } })
      return user
    })
    ctx.userCreated(record)
    ctx.emit('invites:redeemed', { inviteId: found.id, userId: record.id, by: invited.by })
    return ctx.signIn(record, 'invites')
  }

  const inviter = (claims: AccessClaims | undefined) => {
    if (!claims || typeof claims.role !== 'string' || !inviterRoles.has(claims.role)) throw new AuthError('ERR_AUTH_FORBIDDEN')
    return claims.sub
  }

  const routes: RouteDeclaration[] = [
    {
      method: 'POST',
      path: '/invites',
      auth: 'bearer',
      input: createInput,
      // Bearer routes are verified strictly, so the token's role is the user's role now.
      handler: async (call, ctx) => {
        const by = inviter(call.claims)
        const { email } = call.body as { email?: string }
        return create({ by, ...(email !== undefined && { email }) }, ctx)
      },
    },
    {
      method: 'POST',
      path: '/invites/redeem',
      input: redeemInput,
      rateLimit: 'redeem',
      // The router charges 'redeem' once the body is valid; redeem() charges it for calls from code.
      handler: async (call, ctx) => redeemWith(ctx, call.body as never),
    },
  ]

  return {
    name: 'invites',
    requires: ['oneTimeTokens', 'credentials'],
    routes,
    rateLimits: { redeem: { limit: 10, window: '10 minutes' } },
    errors: {
      ERR_INVITE_INVALID: {
        status: 400,
        message: 'This invite code is not valid',
        description: 'The invite code is unknown, expired, already used, or made for another email address.',
      },
      ERR_INVITE_REQUIRED: {
        status: 403,
        message: 'Sign-up is by invitation only',
        description: 'Ordinary sign-up is closed (closeSignUp); redeem an invite code instead.',
      },
    },
    events: ['invites:created', 'invites:redeemed'],
    hooks: ['beforeInviteRedeem'],
    setup(ctx) {
      context = ctx
      if (options.closeSignUp) {
        ctx.hook('beforeSignUp', (signUp) => {
          if (redeeming.has(signUp)) return
          throw new AuthError('ERR_INVITE_REQUIRED')
        })
      }
    },
    create: (input) => create(input),
    async redeem(input, clientAddress) {
      const ctx = started()
      await ctx.limit('redeem', clientAddress)
      return redeemWith(ctx, input)
    },
  }
}
