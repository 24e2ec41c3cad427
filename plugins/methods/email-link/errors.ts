/**
 * The error codes of the email-link method: a link tells why it no longer
 * works (the token is the holder's alone, so that says nothing to anyone
 * else); a code does not, beyond "too many attempts".
 */
import type { ErrorCodeDeclaration } from '../../../lib/index.js'

declare module '../../../lib/index.js' {
  interface PluginErrorCodes {
    ERR_EMAIL_LINK_INVALID: true
    ERR_EMAIL_LINK_USED: true
    ERR_EMAIL_LINK_EXPIRED: true
    ERR_EMAIL_LINK_SUPERSEDED: true
    ERR_EMAIL_LINK_CODE_INVALID: true
    ERR_EMAIL_LINK_CODE_ATTEMPTS: true
  }
}

/** The codes, as the plugin declares them. */
export const EMAIL_LINK_ERRORS: Readonly<Record<string, ErrorCodeDeclaration>> = Object.freeze({
  ERR_EMAIL_LINK_INVALID: {
    status: 400,
    message: 'This sign-in link is not valid',
    description:
      'The token is malformed or unknown, or the address it was sent to cannot sign in with it: its account was disabled, ' +
      'or it has none and the method does not create accounts (signUp). Ask for a new link.',
  },
  ERR_EMAIL_LINK_USED: {
    status: 400,
    message: 'This sign-in link was already used',
    description: 'Each sign-in link works once. Ask for a new one.',
  },
  ERR_EMAIL_LINK_EXPIRED: {
    status: 400,
    message: 'This sign-in link has expired',
    description: 'Sign-in links work for 15 minutes by default (the `ttl` option of emailLink()). Ask for a new one.',
  },
  ERR_EMAIL_LINK_SUPERSEDED: {
    status: 400,
    message: 'A newer sign-in link or code was sent; use that one',
    description:
      'A later request for the same address voided this link, or too many wrong codes for the address voided everything ' +
      'outstanding. Use the newest message, or ask again.',
  },
  ERR_EMAIL_LINK_CODE_INVALID: {
    status: 400,
    message: 'This sign-in code is not valid',
    description:
      'The code is wrong, expired (10 minutes by default: the `codeTtl` option), already used, or replaced by a newer request ' +
      'for the address. Each wrong code counts toward the limit of five per address.',
  },
  ERR_EMAIL_LINK_CODE_ATTEMPTS: {
    status: 429,
    message: 'Too many wrong codes for this address; ask for a new code later',
    description:
      'Five codes were tried for this address within the code lifetime (the `email-link:attempt` scope), so every outstanding ' +
      'code and link for it was voided and further codes are refused until the window ends. `Retry-After` says when.',
  },
})
