/**
 * Sign-in by email link or code (`authcore/methods/email-link`): a person
 * asks for a link (or an 8-digit code, to type on another device), and
 * using it signs them in, or, with `signUp`, makes their account.
 *
 * ```ts
 * import { emailLink } from 'authcore/methods/email-link'
 * const links = emailLink({ signUp: true })
 * const auth = new AuthCore({ secret, appUrl: 'https://app.example.com', mailer, plugins: [links] })
 * await auth.ready()
 * // POST /auth/email-link/request {email}        -> 202 {ok: true}, whoever has the address
 * // the mail: https://app.example.com/sign-in/email?token=...  (your page POSTs the token)
 * // POST /auth/email-link/sign-in {token}        -> {user, token, refreshToken}
 * // POST /auth/email-link/request {email, code: true}, then POST /auth/email-link/code {email, code}
 * ```
 *
 * The defences (docs/email-link.md): links are built under `appUrl` only,
 * never from a request's Host; a link's token is 256 random bits kept as
 * its SHA-256, single use (consumed atomically, in the transaction of the
 * change it makes), short-lived, and voided by the next request for the
 * address; a GET never consumes it; every request answers alike, whether
 * the address has an account, is limited or is sent to, and the look-up and
 * the mail happen after the answer; sends are limited per address and per
 * client address; a code allows five attempts per address, counted
 * atomically across instances, then everything outstanding for the address
 * is void; proving the address of an account that was never verified takes
 * it back from whoever may have made it first (its password and sessions
 * end).
 */
import {
  AuthError, assertMailable, isAuthError, normalizeEmail, normalizeName, UsageError, type AuthPlugin, type PluginContext, type SignedIn,
} from '../../../lib/index.js'
import { Background } from '../../email/background.js'
import { withinSendLimits } from '../../email/send-limits.js'
import { readCode } from './codes.js'
import { EMAIL_LINK_ERRORS } from './errors.js'
import { sendSignIn, signInLink } from './mail.js'
import { resolveOptions, type EmailLinkOptions } from './options.js'
import { signInProven } from './prove.js'
import { emailLinkRoutes } from './routes.js'
import { findCode, findLink, issueCode, issueLink, payloadOf, revokeAddress, whyUnusable } from './tokens.js'

export type { EmailLinkOptions } from './options.js'

declare module '../../../lib/index.js' {
  interface AuthEvents {
    /**
     * A link or code was asked for, and not refused by a send limit.
     * `userId` is set when the address has an account; `sent` says whether
     * a message went out (not for a disabled account, nor for an unknown
     * address without `signUp`). The caller was told the same either way.
     */
    'email-link:requested': { email: string; kind: 'link' | 'code'; sent: boolean; userId?: string }
    /**
     * An account that was never verified had its address proven by a link
     * or code: its password (when it had one) was cleared, its address
     * marked verified and every session ended, before its owner was signed
     * in. Someone else may have made it with that address first.
     */
    'email-link:account-reclaimed': { userId: string; passwordCleared: boolean }
    /** Too many codes were tried for an address: its outstanding links and codes were voided. */
    'email-link:code-voided': { email: string }
  }
}

/** What asking for a link takes: the address, and `code: true` for a code to type instead. */
export interface EmailLinkRequest {
  email: string
  /** Send an 8-digit code (to type on another device) instead of a link. */
  code?: boolean
}

/** Options of a sign-in with a link or code. */
export interface EmailLinkSignInOptions {
  /** The display name of the account, when one is made (`signUp`). Default: the address's local part. */
  name?: string
  /** The client's address, charged to the `email-link:redeem` scope (as the HTTP routes are). */
  clientAddress?: string
}

/** The email-link plugin: its declarations, and its operations for server code (usable once `auth.ready()` has run). */
export interface EmailLinkPlugin extends AuthPlugin {
  /**
   * Sends a sign-in link (or code) to the address, when it has an enabled
   * account or `signUp` is on. Answers alike in every case, and when a
   * send limit refuses (which emits `rate-limit:exceeded`); only input that
   * is not a mailable address is refused (`ERR_AUTH_INPUT_INVALID`).
   */
  request(input: EmailLinkRequest, clientAddress?: string): Promise<void>
  /** Signs in with the token of a link (once). */
  signInWithLink(token: string, options?: EmailLinkSignInOptions): Promise<SignedIn>
  /** Signs in with a code sent to `email` (once; five attempts per address). */
  signInWithCode(email: string, code: string, options?: EmailLinkSignInOptions): Promise<SignedIn>
}

/** How a link-only refusal reads. */
const invalidLink = () => new AuthError('ERR_EMAIL_LINK_INVALID')
/** Every refusal of a code reads the same, but for too many attempts. */
const invalidCode = () => new AuthError('ERR_EMAIL_LINK_CODE_INVALID')

/**
 * Makes the email-link sign-in method. List it in `plugins` (it needs
 * `appUrl`, a `mailer`, and storage with one-time tokens), and keep the
 * object to call its operations from code.
 *
 * @throws UsageError when an option is invalid.
 */
export function emailLink(options: EmailLinkOptions = {}): EmailLinkPlugin {
  const settings = resolveOptions(options)
  const background = new Background('email-link')
  let context: PluginContext | undefined

  const started = (): PluginContext => {
    if (!context) throw new UsageError('email-link: call auth.ready() before using the plugin')
    return context
  }

  async function request(input: EmailLinkRequest, clientAddress?: string): Promise<void> {
    const ctx = started()
    if (input === null || typeof input !== 'object' || typeof input.email !== 'string' || (input.code !== undefined && typeof input.code !== 'boolean')) {
      throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: email is required, and code must be a boolean')
    }
    const email = normalizeEmail(input.email)
    assertMailable(email)
    const kind = input.code === true ? 'code' : 'link'
    if (!(await withinSendLimits(ctx, email.key, clientAddress))) return
    // The look-up, the token and the mail happen after the answer: every
    // address answers at the same moment.
    background.run(ctx, async () => {
      const user = await ctx.storage.findUserByEmailKey(email.key)
      const sent = user ? !user.disabled : settings.signUp
      ctx.emit('email-link:requested', { email: email.key, kind, sent, ...(user && { userId: user.id }) })
      if (!sent) return
      const to = user ? user.email : email.email
      const name = user ? user.name : ''
      if (kind === 'code') {
        const { code, record } = await issueCode(ctx, email, settings.codeTtl)
        // The new code voided the old; its attempts count from zero. The
        // window (codeTtl) opens at the first attempt, after this, so it
        // covers the code's whole life: five attempts per code, never more.
        await ctx.resetSubject('attempt', email.key)
        sendSignIn(ctx, settings.template, { to, name, code, expiresAt: record.expiresAt, tokenId: record.id })
      } else {
        const { secret, record } = await issueLink(ctx, email, settings.ttl)
        const link = signInLink(ctx.appUrl!, settings.linkPath, secret)
        sendSignIn(ctx, settings.template, { to, name, link, expiresAt: record.expiresAt, tokenId: record.id })
      }
    })
  }

  /** Signs in with a link, without charging the redeem scope (the router charged it for HTTP). */
  async function linkWith(ctx: PluginContext, token: string, name: string | undefined): Promise<SignedIn> {
    // Free refusals first.
    if (name !== undefined) normalizeName(name)
    const found = await findLink(ctx, token)
    return signInProven(ctx, settings.signUp, {
      token: found, payload: payloadOf(found)!, method: 'email-link', ...(name !== undefined && { name }),
      invalid: invalidLink,
      spent: () => whyUnusable(ctx, found.secretHash),
    })
  }

  /** Signs in with a code, without charging the redeem scope; each attempt is counted per address. */
  async function codeWith(ctx: PluginContext, rawEmail: string, rawCode: string, name: string | undefined): Promise<SignedIn> {
    if (typeof rawEmail !== 'string') throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: email is required')
    const email = normalizeEmail(rawEmail)
    if (name !== undefined) normalizeName(name)
    // Not 8 digits cannot be right: refused before it counts.
    const code = readCode(rawCode)
    if (code === undefined) throw invalidCode()
    // Counted before the code is looked at, atomically in the counter store,
    // for every address alike (one without a code outstanding too).
    try {
      await ctx.limitSubject('attempt', email.key, { always: true })
    } catch (err) {
      if (!isAuthError(err, 'ERR_AUTH_RATE_LIMITED')) throw err
      // Past the limit: whatever is outstanding for the address is void, the right code included.
      if ((await revokeAddress(ctx, email.key)) > 0) ctx.emit('email-link:code-voided', { email: email.key })
      throw new AuthError('ERR_EMAIL_LINK_CODE_ATTEMPTS', undefined, { details: err.details })
    }
    const found = await findCode(ctx, email.key, code)
    if (!found) throw invalidCode()
    return signInProven(ctx, settings.signUp, {
      token: found, payload: payloadOf(found)!, method: 'email-link:code', ...(name !== undefined && { name }),
      invalid: invalidCode,
      spent: async () => invalidCode(),
    })
  }

  return {
    name: 'email-link',
    requires: ['oneTimeTokens', 'mailer'],
    routes: emailLinkRoutes({
      request: (input, clientAddress) => request(input, clientAddress),
      signInWithLink: (token, name) => linkWith(started(), token, name),
      signInWithCode: (email, code, name) => codeWith(started(), email, code, name),
    }),
    rateLimits: {
      // Mail to one address, from anywhere.
      recipient: { limit: 3, window: '15 minutes' },
      // Mail asked for by one client address, to anyone.
      sender: { limit: 5, window: '15 minutes' },
      // Codes tried for one address, from anywhere: over a code's whole life.
      attempt: { limit: 5, window: settings.codeTtl },
      // Links and codes presented by one client address.
      redeem: { limit: 20, window: '15 minutes' },
    },
    errors: EMAIL_LINK_ERRORS,
    events: ['email-link:requested', 'email-link:account-reclaimed', 'email-link:code-voided'],
    setup(ctx) {
      if (!ctx.appUrl) throw new UsageError('email-link needs the appUrl option: every link points under it')
      context = ctx
    },
    async close() {
      await background.settled()
      context = undefined
    },
    request,
    async signInWithLink(token, options = {}) {
      const ctx = started()
      await ctx.limit('redeem', options.clientAddress)
      return linkWith(ctx, token, options.name)
    },
    async signInWithCode(email, code, options = {}) {
      const ctx = started()
      await ctx.limit('redeem', options.clientAddress)
      return codeWith(ctx, email, code, options.name)
    },
  }
}
