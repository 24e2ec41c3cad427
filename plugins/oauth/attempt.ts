/**
 * A sign-in attempt: made at `/authorize`, kept as a one-time token keyed by
 * the hash of its `state`, bound to the browser that started it by a cookie
 * only that browser holds, and used up at `/callback`. A callback without
 * the cookie (login CSRF: an attacker's code pushed into a victim's
 * browser), with another provider's attempt, or with a replayed state is
 * refused.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { hashOneTimeSecret, isOneTimeSecret, newOneTimeSecret, type OneTimeTokenRecord, type PluginContext, type RedirectAttempt } from '../../lib/index.js'

/** The one-time-token purpose of attempts. */
export const ATTEMPT_PURPOSE = 'oauth:attempt'

/** How long a user may take at the provider. */
export const ATTEMPT_TTL_SECONDS = 600

/** What an attempt keeps, server side. */
export interface AttemptPayload {
  /** The redirect method it was made for. */
  readonly provider: string
  readonly nonce: string
  readonly codeVerifier: string
  readonly redirectUri: string
  /** Where the browser goes back to: one of `redirectUrls`, exactly. */
  readonly redirectTo: string
  /** The hash of the browser's cookie value. */
  readonly browser: string
  /** For an explicit link: the signed-in user the identity is for, and their token version then (a change since voids the attempt). */
  readonly link?: { readonly userId: string; readonly version: number }
}

/** The cookie of a provider's attempt: one name per provider, so attempts at two providers never mix. */
export const cookieName = (provider: string) => `authcore_oauth_${provider.replace(/-/g, '_')}`

/** A new attempt, stored; answers its values and the cookie value for the browser. */
export async function startAttempt(
  ctx: PluginContext,
  provider: string,
  redirectUri: string,
  redirectTo: string,
  link?: AttemptPayload['link'],
): Promise<{ attempt: RedirectAttempt; browserSecret: string }> {
  const state = newOneTimeSecret()
  const browser = newOneTimeSecret()
  const attempt: RedirectAttempt = {
    state: state.secret,
    nonce: randomBytes(32).toString('base64url'),
    codeVerifier: randomBytes(32).toString('base64url'),
    redirectUri,
  }
  const now = ctx.now()
  const payload: AttemptPayload = {
    provider, nonce: attempt.nonce, codeVerifier: attempt.codeVerifier, redirectUri, redirectTo, browser: browser.secretHash,
    ...(link !== undefined && { link }),
  }
  await ctx.storage.oneTimeTokens!.createToken({
    id: randomUUID(),
    purpose: ATTEMPT_PURPOSE,
    userId: null,
    secretHash: state.secretHash,
    payload: { ...payload },
    createdAt: new Date(now),
    expiresAt: new Date(now + ATTEMPT_TTL_SECONDS * 1000),
  })
  return { attempt, browserSecret: browser.secret }
}

/** The usable attempt for a `state`, or undefined (unknown, used, expired, malformed). Consumes nothing. */
export async function findAttempt(ctx: PluginContext, state: string | null): Promise<{ record: OneTimeTokenRecord; payload: AttemptPayload } | undefined> {
  if (!isOneTimeSecret(state)) return undefined
  const record = await ctx.storage.oneTimeTokens!.findToken(ATTEMPT_PURPOSE, hashOneTimeSecret(state), new Date(ctx.now()))
  const payload = record?.payload as AttemptPayload | null | undefined
  return record && payload ? { record, payload } : undefined
}

/** Whether `secret` hashes to `expectedHash`; constant time. */
export function sameSecret(secret: string | undefined, expectedHash: string): boolean {
  if (!isOneTimeSecret(secret)) return false
  const presented = Buffer.from(hashOneTimeSecret(secret))
  const expected = Buffer.from(expectedHash)
  return presented.length === expected.length && timingSafeEqual(presented, expected)
}

/** Whether `cookie` (the browser's value) is the one the attempt was bound to. */
export function sameBrowser(payload: AttemptPayload, cookie: string | undefined): boolean {
  return sameSecret(cookie, payload.browser)
}

/** Uses the attempt up: of two callbacks with one state, one gets it. */
export async function consumeAttempt(ctx: PluginContext, record: OneTimeTokenRecord): Promise<boolean> {
  return (await ctx.storage.oneTimeTokens!.consumeToken(ATTEMPT_PURPOSE, record.secretHash, new Date(ctx.now()))) !== undefined
}

/** One cookie's value from a Cookie header (bounded: a hostile header costs no more than its cap). */
export function readCookie(header: string | null, name: string): string | undefined {
  if (header === null || header.length > 8192) return undefined
  for (const part of header.split(';')) {
    const at = part.indexOf('=')
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim()
  }
  return undefined
}
