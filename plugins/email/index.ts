/**
 * Account mail: password reset, email verification and email change, as a
 * plugin on the public contract. AuthCore composes it when a `mailer` is set
 * (lib/defaults.ts), and its operations back `auth.requestPasswordReset()`
 * and the others; its routes, error codes, limits and events are declared
 * like any plugin's.
 *
 * The defences (docs/email.md): links are built under `appUrl` only, never
 * from a request's Host; a link's token is 256 random bits stored as its
 * SHA-256, single use (consumed in the transaction of the change it
 * authorises), short-lived, and voided by a newer one; a GET never consumes
 * it; a request for an unknown address answers exactly like one for a known
 * address, and the lookup and the mail happen after the answer; sends are
 * limited per recipient and per client address, and a limited request
 * answers alike too.
 */
import {
  AuthError, assertMailable, jsonResponse, normalizeEmail, toSeconds, UsageError, type AccountEmailOptions, type AccountEmailService,
  type AccountMailKind, type AsCaller, type MailTemplate, type NormalizedEmail, type PluginContext, type RequestContext,
  type RouteDeclaration, type UserRecord,
} from '../../lib/index.js'
import { DEFAULT_TEMPLATES } from './templates.js'
import { findUsable, issueToken, notFor, PURPOSES, redeem, stillFor, type TokenPayload } from './tokens.js'
import { randomUUID } from 'node:crypto'
import { Background } from './background.js'
import { withinSendLimits } from './send-limits.js'
import { confirmationPage } from './pages.js'

declare module '../../lib/index.js' {
  interface PluginErrorCodes {
    ERR_EMAIL_TOKEN_INVALID: true
    ERR_EMAIL_TOKEN_USED: true
    ERR_EMAIL_TOKEN_EXPIRED: true
    ERR_EMAIL_TOKEN_SUPERSEDED: true
  }
}

const tokenInput = {
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: { token: { type: 'string', minLength: 1, maxLength: 128 } },
}

const resetInput = {
  type: 'object',
  additionalProperties: false,
  required: ['token', 'pass'],
  properties: { token: { type: 'string', minLength: 1, maxLength: 128 }, pass: { type: 'string', minLength: 1, maxLength: 4096 } },
}

const forgotInput = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: { email: { type: 'string', minLength: 1, maxLength: 1024 } },
}

const accepted = () => jsonResponse(202, { ok: true })

/** The account-mail plugin. AuthCore makes one when a mailer is set; apps tune it with the `accountEmail` option. */
export function accountEmail(options: AccountEmailOptions = {}): AccountEmailService {
  const resetTtl = toSeconds(options.resetTtl ?? '30 minutes')
  const verificationTtl = toSeconds(options.verificationTtl ?? '24 hours')
  const pages = options.confirmationPages === true
  // With its own pages, links open them (under basePath, read once set up); otherwise the app's pages.
  const paths = { resetPassword: options.links?.resetPassword ?? '/reset-password', verifyEmail: options.links?.verifyEmail ?? '/verify-email' }
  const templates: Record<AccountMailKind, MailTemplate> = { ...DEFAULT_TEMPLATES, ...options.templates }
  const background = new Background('account mail')
  let context: PluginContext | undefined

  const started = (): PluginContext => {
    if (!context) throw new UsageError('account mail: call auth.ready() first')
    return context
  }

  /** A link under appUrl with the token as its `token` parameter. Never built from a request. */
  const link = (ctx: PluginContext, page: 'resetPassword' | 'verifyEmail', secret: string) => {
    const path = pages ? `${ctx.auth.basePath}${page === 'resetPassword' ? '/password/reset' : '/email/verify'}` : paths[page]
    const url = new URL(`${ctx.appUrl}${path}`)
    url.searchParams.set('token', secret)
    return url.href
  }

  /** Renders and queues one message. */
  const send = (
    ctx: PluginContext,
    kind: AccountMailKind,
    to: string,
    user: { name: string; email: string },
    idempotencyKey: string,
    extra: { link?: string; expiresAt?: Date } = {},
  ) => {
    const content = templates[kind]({ kind, to, user: { name: user.name, email: user.email }, appUrl: ctx.appUrl!, sentAt: new Date(ctx.now()), ...extra })
    ctx.sendMail({ to, kind, subject: content.subject, text: content.text, ...(content.html !== undefined && { html: content.html }), idempotencyKey })
  }

  /** Sends a verification link for the user's current address. */
  const sendVerification = async (ctx: PluginContext, user: UserRecord) => {
    const { secret, record } = await issueToken(ctx, PURPOSES.verify, user, verificationTtl, { sentTo: user.emailKey })
    send(ctx, 'email-verification', user.email, user, `email-verification:${record.id}`, {
      link: link(ctx, 'verifyEmail', secret), expiresAt: record.expiresAt,
    })
  }

  async function requestPasswordReset(input: { email: string }, request: RequestContext = {}): Promise<void> {
    const ctx = started()
    if (input === null || typeof input !== 'object' || typeof input.email !== 'string') {
      throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: email is required')
    }
    const email = normalizeEmail(input.email)
    assertMailable(email)
    if (!(await withinSendLimits(ctx, email.key, request.clientAddress))) return
    // The look-up, the token and the mail happen after the answer: known and
    // unknown addresses answer at the same moment.
    background.run(ctx, async () => {
      const user = await ctx.storage.findUserByEmailKey(email.key)
      ctx.emit('email:reset-requested', { email: email.key, ...(user && { userId: user.id }) })
      if (!user || user.disabled) return
      const { secret, record } = await issueToken(ctx, PURPOSES.reset, user, resetTtl, { sentTo: user.emailKey })
      send(ctx, 'password-reset', user.email, user, `password-reset:${record.id}`, {
        link: link(ctx, 'resetPassword', secret), expiresAt: record.expiresAt,
      })
    })
  }

  async function resetPassword(input: { token: string; pass: string }): Promise<void> {
    const ctx = started()
    if (input === null || typeof input !== 'object' || typeof input.pass !== 'string') {
      throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: token and pass are required')
    }
    // The policy first: a weak password does not use up the link.
    const pass = ctx.passwords.checkNew(input.pass)
    const token = await findUsable(ctx, [PURPOSES.reset], input.token)
    const user = await ctx.storage.findUserById(token.userId!)
    // A link mailed to an address the user no longer has, or made before the
    // account was secured since, must not reset it (checked again in the transaction).
    if (!user || !stillFor(token, user)) throw await notFor(ctx, token)
    const passwordHash = await ctx.passwords.hash(pass)
    const updated = await redeem(ctx, token, (consume) => ctx.updateUser(user.id, { passwordHash, emailVerified: true }, {
      endSessions: true,
      atomicWith: consume,
      // Whoever locked the account with wrong guesses must not keep its owner out.
      clearLockout: true,
    }))
    if (!updated) throw new AuthError('ERR_EMAIL_TOKEN_INVALID')
    ctx.emit('email:password-reset', { userId: updated.id })
    if (!user.emailVerified) ctx.emit('email:verified', { userId: updated.id, email: updated.email })
    send(ctx, 'password-changed', updated.email, updated, `password-changed:${token.id}`)
  }

  async function requestEmailVerification(caller: AsCaller, request: RequestContext = {}): Promise<void> {
    const ctx = started()
    const claims = caller?.as
    if (claims === null || typeof claims !== 'object' || typeof claims.sub !== 'string') {
      throw new UsageError("requestEmailVerification needs { as: claims } with the caller's verified claims")
    }
    const user = await ctx.storage.findUserById(claims.sub)
    if (!user || user.disabled || (claims.ver ?? 0) !== user.tokenVersion) throw new AuthError('ERR_AUTH_TOKEN_REVOKED')
    if (user.emailVerified || user.emailKey === '') return
    if (!(await withinSendLimits(ctx, user.emailKey, request.clientAddress))) return
    await sendVerification(ctx, user)
  }

  async function verifyEmail(input: { token: string }): Promise<void> {
    const ctx = started()
    if (input === null || typeof input !== 'object') throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: token is required')
    const token = await findUsable(ctx, [PURPOSES.verify, PURPOSES.change], input.token)
    const user = await ctx.storage.findUserById(token.userId!)
    const payload = token.payload as TokenPayload | null
    // A verification link is for the address the user still has; a change
    // link for the address they had when they asked; both only while nothing
    // secured the account since (checked again in the transaction).
    if (!user || !payload || !stillFor(token, user)) throw await notFor(ctx, token)
    if (token.purpose === PURPOSES.verify) {
      const updated = await redeem(ctx, token, (consume) => ctx.updateUser(user.id, { emailVerified: true }, { atomicWith: consume }))
      if (!updated) throw new AuthError('ERR_EMAIL_TOKEN_INVALID')
      ctx.emit('email:verified', { userId: updated.id, email: updated.email })
      return
    }
    const { email, emailKey, keepFamily } = payload
    if (typeof email !== 'string' || typeof emailKey !== 'string') throw new AuthError('ERR_EMAIL_TOKEN_INVALID')
    const updated = await redeem(ctx, token, (consume) => ctx.updateUser(user.id, { email, emailKey, emailVerified: true }, {
      // The session that asked for the change keeps going; every other one ends.
      endSessions: keepFamily === undefined ? true : { except: keepFamily },
      atomicWith: consume,
    }))
    if (!updated) throw new AuthError('ERR_EMAIL_TOKEN_INVALID')
    ctx.emit('email:changed', { userId: updated.id, from: user.email, to: updated.email })
    ctx.emit('email:verified', { userId: updated.id, email: updated.email })
  }

  // The points where the core hands over a user. Each queues mail and never
  // throws: the operation that called it has already done its work.
  const quietly = (ctx: PluginContext | undefined, work: (ctx: PluginContext) => Promise<void>) => {
    if (ctx) background.run(ctx, () => work(ctx))
    return Promise.resolve()
  }

  const routes: RouteDeclaration[] = [
    {
      method: 'POST',
      path: '/password/forgot',
      input: forgotInput,
      // Limited inside: a limited request must answer like any other.
      handler: async (call) => {
        await requestPasswordReset(call.body as { email: string }, call.context)
        return accepted()
      },
    },
    {
      method: 'POST',
      path: '/password/reset',
      input: resetInput,
      rateLimit: 'redeem',
      handler: async (call) => {
        await resetPassword(call.body as { token: string; pass: string })
        return { ok: true }
      },
    },
    {
      method: 'POST',
      path: '/email/verify/request',
      auth: 'bearer',
      handler: async (call) => {
        await requestEmailVerification({ as: call.claims! }, call.context)
        return accepted()
      },
    },
    {
      method: 'POST',
      path: '/email/verify',
      input: tokenInput,
      rateLimit: 'redeem',
      handler: async (call) => {
        await verifyEmail(call.body as { token: string })
        return { ok: true }
      },
    },
  ]

  if (pages) {
    routes.push(
      { method: 'GET', path: '/password/reset', handler: async () => confirmationPage('reset') },
      { method: 'GET', path: '/email/verify', handler: async () => confirmationPage('verify') },
    )
  }

  return {
    name: 'email',
    requires: ['oneTimeTokens', 'mailer'],
    routes,
    rateLimits: {
      // Mail to one address, from anywhere.
      recipient: { limit: 3, window: '15 minutes' },
      // Mail asked for by one client address, to anyone.
      sender: { limit: 5, window: '15 minutes' },
      // A fresh verification link after an unverified sign-in: once per window per user.
      resend: { limit: 1, window: '15 minutes' },
      // Redeeming links (a 256-bit token cannot be guessed; this bounds the work).
      redeem: { limit: 20, window: '15 minutes' },
    },
    errors: {
      ERR_EMAIL_TOKEN_INVALID: {
        status: 400,
        message: 'This link is not valid',
        description: 'The token is malformed or unknown, was sent to an address the account no longer has, or was made before the account was secured since (a reset, a password change, signing out everywhere, a disable).',
      },
      ERR_EMAIL_TOKEN_USED: {
        status: 400,
        message: 'This link was already used',
        description: 'Each link works once; ask for a new one.',
      },
      ERR_EMAIL_TOKEN_EXPIRED: {
        status: 400,
        message: 'This link has expired',
        description: 'Reset links work for 30 minutes and verification links for 24 hours by default (accountEmail.resetTtl, verificationTtl); ask for a new one.',
      },
      ERR_EMAIL_TOKEN_SUPERSEDED: {
        status: 400,
        message: 'A newer link was sent; use that one',
        description: 'Asking for a new link voids the earlier ones of the same kind.',
      },
    },
    events: ['email:verified', 'email:reset-requested', 'email:password-reset', 'email:change-requested', 'email:changed'],
    setup(ctx) {
      if (!ctx.appUrl) throw new UsageError('account mail needs the appUrl option: every link points under it')
      context = ctx
    },
    async close() {
      await background.settled()
      context = undefined
    },
    requestPasswordReset,
    resetPassword,
    requestEmailVerification,
    verifyEmail,
    signedUp: (user, request) =>
      quietly(context, async (ctx) => {
        if (await withinSendLimits(ctx, user.emailKey, request.clientAddress)) await sendVerification(ctx, user)
      }),
    signUpTaken: (existing, request) =>
      quietly(context, async (ctx) => {
        if (existing.disabled || !(await withinSendLimits(ctx, existing.emailKey, request.clientAddress))) return
        send(ctx, 'sign-up-attempt', existing.email, existing, `sign-up-attempt:${existing.id}:${Math.floor(ctx.now() / 900_000)}`)
      }),
    unverifiedSignIn: (user, request) =>
      quietly(context, async (ctx) => {
        // At most one fresh link per window, however often they try.
        if (await withinSendLimits(ctx, user.id, request.clientAddress, 'resend')) await sendVerification(ctx, user)
      }),
    async emailChangeRequested(user: UserRecord, email: NormalizedEmail, keepFamily: string | undefined, request: RequestContext) {
      const ctx = started()
      await quietly(ctx, async () => {
        if (!(await withinSendLimits(ctx, email.key, request.clientAddress))) return
        // The old address is told of every request, whether or not the new
        // one is free: whether it arrives must not say if an address is registered.
        const requestId = randomUUID()
        if (user.emailKey !== '') send(ctx, 'email-change-notice', user.email, user, `email-change-notice:${requestId}`)
        ctx.emit('email:change-requested', { userId: user.id, to: email.email })
        // An address that is taken gets nothing (its owner did not ask).
        const owner = await ctx.storage.findUserByEmailKey(email.key)
        if (owner && owner.id !== user.id) return
        const payload = { sentTo: email.key, fromKey: user.emailKey, email: email.email, emailKey: email.key, ...(keepFamily !== undefined && { keepFamily }) }
        const { secret, record } = await issueToken(ctx, PURPOSES.change, user, verificationTtl, payload)
        send(ctx, 'email-change', email.email, user, `email-change:${record.id}`, { link: link(ctx, 'verifyEmail', secret), expiresAt: record.expiresAt })
      })
    },
  }
}
