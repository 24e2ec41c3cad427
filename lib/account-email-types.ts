/**
 * Mail and account recovery: the options an app tunes (templates, link
 * paths, lifetimes) and the service the core calls at the points only it
 * sees (a sign-up, an unverified sign-in, an email change). The service is
 * a plugin (`plugins/email/`), composed by lib/defaults.ts when a mailer is
 * set; the core knows it only through {@link AccountEmailService}.
 */
import type { Duration } from './duration.js'
import type { NormalizedEmail } from './email.js'
import type { AsCaller } from './operations/context.js'
import type { AuthPlugin, RequestContext } from './plugin-types.js'
import type { UserRecord } from './storage-types.js'

/** The messages account mail (and the email-link method, `sign-in-link`) sends, one template each. */
export type AccountMailKind =
  | 'password-reset'
  | 'password-changed'
  | 'email-verification'
  | 'email-change'
  | 'email-change-notice'
  | 'sign-up-attempt'
  | 'sign-in-link'

/** What a template is given. Values are plain text: escape them when you build HTML. */
export interface MailTemplateInput {
  readonly kind: AccountMailKind
  /**
   * The recipient as stored (for an email change, the new address is `to`).
   * `name` is whatever was typed at sign-up, perhaps by someone who does not
   * own the address: the built-in templates leave it out, and a template
   * that shows it lets strangers put their words in your mail.
   */
  readonly user: { readonly name: string; readonly email: string }
  /** The address the message goes to. */
  readonly to: string
  /** The link to follow, when the message carries one. */
  readonly link?: string
  /** A code to type on another device, when the message carries one. */
  readonly code?: string
  /** When the link or code stops working. */
  readonly expiresAt?: Date
  /** When the message is made, by AuthCore's clock (the `now` option): with `expiresAt`, how long the link works. */
  readonly sentAt: Date
  /** The app's public origin (`appUrl`). */
  readonly appUrl: string
}

/** A rendered message: the subject, a text body (always: it carries the link) and an optional HTML body. */
export interface MailContent {
  readonly subject: string
  readonly text: string
  readonly html?: string
}

/** Renders one kind of message. */
export type MailTemplate = (input: MailTemplateInput) => MailContent

/** Tuning for account mail (the `accountEmail` option). Every field is optional. */
export interface AccountEmailOptions {
  /** Templates to use instead of the built-in ones, by kind (`sign-in-link` is the email-link method's own `template` option). */
  templates?: Partial<Record<Exclude<AccountMailKind, 'sign-in-link'>, MailTemplate>>
  /**
   * The paths under `appUrl` that links open; the token is added as a
   * `token` query parameter. Your page there reads it and POSTs it (a GET
   * never consumes a token). Defaults: `/reset-password`, `/verify-email`.
   * With `confirmationPages`, links open AuthCore's own pages instead.
   */
  links?: { resetPassword?: string; verifyEmail?: string }
  /** How long a reset link works. Default 30 minutes; from 1 minute to 1 day. */
  resetTtl?: Duration
  /** How long a verification (or email change) link works. Default 24 hours; from 1 minute to 7 days. */
  verificationTtl?: Duration
  /**
   * Serve small confirmation pages at `GET {basePath}/password/reset` and
   * `GET {basePath}/email/verify` and point links at them: the page shows a
   * button (and a password form) that POSTs the token. Default false.
   */
  confirmationPages?: boolean
}

/** What `requestPasswordReset` takes. */
export interface PasswordResetRequest {
  email: string
}

/** What `resetPassword` takes: the token from the link and the new password. */
export interface PasswordResetInput {
  token: string
  pass: string
}

/** What `verifyEmail` takes: the token from the link. */
export interface VerifyEmailInput {
  token: string
}

/**
 * The account-mail service: the public operations behind `auth.requestPasswordReset`
 * and the others, and the points where the core hands it a user. A plugin
 * (it contributes the routes, error codes, limits and events).
 */
export interface AccountEmailService extends AuthPlugin {
  /** Sends a reset link if the address belongs to a user; answers alike either way. */
  requestPasswordReset(input: PasswordResetRequest, request?: RequestContext): Promise<void>
  /** Sets a new password with a reset token; ends every session. */
  resetPassword(input: PasswordResetInput, request?: RequestContext): Promise<void>
  /** Sends the caller a verification link (nothing when already verified). */
  requestEmailVerification(options: AsCaller, request?: RequestContext): Promise<void>
  /** Marks the address verified (or applies a pending email change) with a verification token. */
  verifyEmail(input: VerifyEmailInput, request?: RequestContext): Promise<void>
  /** A user signed up: send them a verification link (queued; never throws). */
  signedUp(user: UserRecord, request: RequestContext): Promise<void>
  /** A sign-up met an address that is taken, with verification required: tell its owner (queued; never throws). */
  signUpTaken(existing: UserRecord, request: RequestContext): Promise<void>
  /** An unverified user proved their password with verification required: send a fresh link, at most once per window (queued; never throws). */
  unverifiedSignIn(user: UserRecord, request: RequestContext): Promise<void>
  /**
   * An email change waits for confirmation: send a link to the new address
   * and a notice to the old one. `keepFamily` is the session the change
   * comes from, which survives it.
   */
  emailChangeRequested(user: UserRecord, email: NormalizedEmail, keepFamily: string | undefined, request: RequestContext): Promise<void>
}
