/**
 * The sign-in message: a link under `appUrl` (never built from a request)
 * or a code, rendered by the template and queued for after the answer.
 */
import type { MailTemplate, PluginContext } from '../../../lib/index.js'

/** The link a message carries: `appUrl` + the configured path, with the token as its `token` parameter. */
export function signInLink(appUrl: string, linkPath: string, secret: string): string {
  const url = new URL(`${appUrl}${linkPath}`)
  url.searchParams.set('token', secret)
  return url.href
}

/** What one message says and to whom. */
export interface SignInMessage {
  /** The address as stored on the account, or as typed for an address that has none. */
  readonly to: string
  /** The account's name, or '' when there is no account yet. */
  readonly name: string
  /** The link, for a link message. */
  readonly link?: string
  /** The code, for a code message. */
  readonly code?: string
  /** When the link or code stops working. */
  readonly expiresAt: Date
  /** The token's id: one message per token, however often a send is retried. */
  readonly tokenId: string
}

/** Renders the message and queues it (it goes out after the answer). */
export function sendSignIn(ctx: PluginContext, template: MailTemplate, message: SignInMessage): void {
  const { to, name, link, code, expiresAt, tokenId } = message
  const content = template({
    kind: 'sign-in-link',
    to,
    user: { name, email: to },
    appUrl: ctx.appUrl!,
    expiresAt,
    sentAt: new Date(ctx.now()),
    ...(link !== undefined && { link }),
    ...(code !== undefined && { code }),
  })
  ctx.sendMail({
    to,
    kind: 'sign-in-link',
    subject: content.subject,
    text: content.text,
    ...(content.html !== undefined && { html: content.html }),
    idempotencyKey: `sign-in-link:${tokenId}`,
  })
}
