/**
 * The built-in account-mail messages: short, plain, with the link on a line
 * of its own in the text body (it is what a person copies when the HTML is
 * blocked). An app overrides any kind with `accountEmail.templates`.
 */
import type { AccountMailKind, MailContent, MailTemplate, MailTemplateInput } from '../../lib/index.js'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

/** "30 minutes", "24 hours": how long a link works, to the nearest unit. */
function expiresIn(input: MailTemplateInput): string {
  if (!input.expiresAt) return ''
  const minutes = Math.max(1, Math.round((input.expiresAt.getTime() - input.sentAt.getTime()) / 60_000))
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`
  const hours = Math.round(minutes / 60)
  if (hours < 48) return `${hours} hours`
  return `${Math.round(hours / 24)} days`
}

/** A message of paragraphs around an optional action link (or code). */
function message(subject: string, paragraphs: readonly string[], input: MailTemplateInput, action?: string): MailContent {
  // Never the user's name: whoever registers an address chooses it, so mail
  // to an address nobody has proven would carry a stranger's text.
  const greeting = 'Hello,'
  const ending = 'If you did not ask for this, you can ignore this message.'
  const link = input.link
  const code = input.code
  const text = [
    greeting,
    '',
    ...paragraphs.flatMap((p) => [p, '']),
    ...(link ? [link, ''] : []),
    ...(code ? [`Your code: ${code}`, ''] : []),
    ...(input.expiresAt ? [`This ${code ? 'code' : 'link'} works for ${expiresIn(input)}, once.`, ''] : []),
    ...(link || code ? [ending] : []),
  ].join('\n')
  const html = [
    `<p>${escapeHtml(greeting)}</p>`,
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link)}">${escapeHtml(action ?? link)}</a></p>`] : []),
    ...(code ? [`<p>Your code: <strong>${escapeHtml(code)}</strong></p>`] : []),
    ...(input.expiresAt ? [`<p>This ${code ? 'code' : 'link'} works for ${escapeHtml(expiresIn(input))}, once.</p>`] : []),
    ...(link || code ? [`<p>${escapeHtml(ending)}</p>`] : []),
  ].join('\n')
  return { subject, text, html }
}

/** The built-in template of every kind. */
export const DEFAULT_TEMPLATES: Readonly<Record<AccountMailKind, MailTemplate>> = Object.freeze({
  'password-reset': (input) =>
    message('Reset your password', ['Someone asked to reset the password of your account. To choose a new one, open this link:'], input, 'Choose a new password'),
  'password-changed': (input) =>
    message('Your password was changed', [
      'The password of your account was just reset, and every device signed in to it was signed out.',
      'If this was not you, reset your password again now and check the email address on your account.',
    ], input),
  'email-verification': (input) =>
    message('Confirm your email address', ['To confirm that this is your address, open this link:'], input, 'Confirm my address'),
  'email-change': (input) =>
    message('Confirm your new email address', ['To make this the address of your account, open this link:'], input, 'Confirm my new address'),
  'email-change-notice': (input) =>
    message('Your email address is being changed', [
      'Someone asked to change the email address of your account. The change happens only when the link sent to the new address is used.',
      'If this was not you, change your password now.',
    ], input),
  'sign-up-attempt': (input) =>
    message('Someone tried to sign up with your address', [
      'Someone tried to create an account with this email address, which already has one. If it was you, sign in instead, or reset your password if you have forgotten it.',
      'If it was not you, you need not do anything.',
    ], input),
  'sign-in-link': (input) =>
    input.link
      ? message('Your sign-in link', ['To sign in, open this link:'], input, 'Sign in')
      : message('Your sign-in code', ['To sign in, enter this code:'], input),
})
