/**
 * The redirect sign-in flow around any redirect method (OpenID Connect,
 * OAuth 2): AuthCore composes it when `methods` holds one (lib/defaults.ts).
 *
 * - `GET /oauth/:name/authorize?redirect_to=<exact listed URL>`: a new
 *   attempt (state, nonce, PKCE verifier kept server side), bound to the
 *   browser by an HttpOnly, SameSite=Lax cookie, then 302 to the provider.
 * - `GET /oauth/:name/callback`: the attempt is found by `state`, checked
 *   against the cookie and the provider, used up, and the provider's answer
 *   verified by the method; the identity is mapped to a user
 *   (accounts.ts); then 302 to `redirect_to?code=<one-time code>`, or
 *   `?error=<code>`. Never to a URL that is not listed.
 * - `POST /oauth/token {code}`: the code (single use, 60 seconds, hashed at
 *   rest) for `{ user, token, refreshToken }`, as a password sign-in.
 * - `POST /oauth/:name/link {redirect_to}` (Bearer, a sign-in within
 *   10 minutes): an attempt that links the provider's identity to the
 *   caller; answers `{ url }` to send the browser to, and its cookie. The
 *   callback then goes back to `redirect_to?linked=<name>`.
 * - `DELETE /oauth/:name/link` (Bearer, a recent sign-in): unlinks it,
 *   unless it is the caller's last way to sign in.
 */
import { randomUUID } from 'node:crypto'
import {
  AuthError, errorResponse, hashOneTimeSecret, isAuthError, isOneTimeSecret, jsonResponse as json, newOneTimeSecret, UsageError,
  type AccessClaims, type AuthPlugin, type RedirectSignIn, type PluginContext, type RedirectMethod, type RouteDeclaration, type SignedIn,
  type UserRecord,
} from '../../lib/index.js'
import { linkTo, unlink, userFor } from './accounts.js'

export { providerTokens } from './accounts.js'
import { ATTEMPT_TTL_SECONDS, consumeAttempt, cookieName, findAttempt, readCookie, sameBrowser, sameSecret, startAttempt } from './attempt.js'

declare module '../../lib/index.js' {
  interface PluginErrorCodes {
    ERR_OAUTH_REDIRECT_NOT_ALLOWED: true
    ERR_OAUTH_STATE_INVALID: true
    ERR_OAUTH_ATTEMPT_MISMATCH: true
    ERR_OAUTH_PROVIDER_ERROR: true
    ERR_OAUTH_VERIFICATION_FAILED: true
    ERR_OAUTH_ACCOUNT_EXISTS: true
    ERR_OAUTH_EMAIL_REQUIRED: true
    ERR_OAUTH_EMAIL_UNVERIFIED: true
    ERR_OAUTH_CODE_INVALID: true
    ERR_OAUTH_IDENTITY_TAKEN: true
    ERR_OAUTH_LAST_SIGN_IN_METHOD: true
  }
  interface AuthEvents {
    /** A provider's identity was linked to an existing account (by the trusted-provider rule). */
    'oauth:linked': { userId: string; provider: string }
    /** A redirect sign-in was refused at the callback; `code` is what the app was sent. */
    'oauth:failed': { provider: string; code: string }
  }
}

/** The one-time-token purpose of the codes handed to the app. */
const CODE_PURPOSE = 'oauth:code'
const CODE_TTL_SECONDS = 60
/** The cookie that binds a code to the browser the callback answered. */
const CODE_COOKIE = 'authcore_oauth_code'

/** How recent a sign-in linking and unlinking need. */
const RECENT_SIGN_IN_MS = 10 * 60_000

const linkInput = {
  type: 'object',
  additionalProperties: false,
  required: ['redirect_to'],
  properties: { redirect_to: { type: 'string', minLength: 1, maxLength: 2048 } },
}

const tokenInput = {
  type: 'object',
  additionalProperties: false,
  required: ['code'],
  properties: { code: { type: 'string', minLength: 1, maxLength: 128 } },
}

/** A redirect with nothing cacheable. */
function redirect(location: string, cookies: readonly string[] = []): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
  for (const cookie of cookies) headers.append('set-cookie', cookie)
  return new Response(null, { status: 302, headers })
}

/** The flow plugin for `methods` (the configured redirect methods). */
export function oauthFlow(methods: readonly RedirectMethod[]): AuthPlugin & RedirectSignIn {
  let context: PluginContext | undefined
  const started = () => {
    if (!context) throw new UsageError('oauth: call auth.ready() first')
    return context
  }

  const methodNamed = (name: string): RedirectMethod => {
    const found = methods.find((m) => m.name === name)
    if (!found) throw new UsageError(`no redirect method named '${String(name)}'`)
    return found
  }

  /** The callback URL of a method: its own, or under appUrl. Never from the request's Host. */
  const callbackUrl = (ctx: PluginContext, method: RedirectMethod) => method.callbackUrl ?? `${ctx.appUrl}${ctx.auth.basePath}/oauth/${method.name}/callback`

  /** A cookie scoped to `path` only: HttpOnly, SameSite=Lax, Secure under an https appUrl. */
  const scoped = (ctx: PluginContext, name: string, value: string, path: string, maxAge: number) => {
    const secure = ctx.appUrl!.startsWith('https:') ? '; Secure' : ''
    return `${name}=${value}; Path=${path}; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`
  }

  /** The attempt cookie, sent back only to the method's callback (the path the browser will request, appUrl's prefix and all). */
  const cookie = (ctx: PluginContext, method: RedirectMethod, value: string, maxAge: number) =>
    scoped(ctx, cookieName(method.name), value, new URL(callbackUrl(ctx, method)).pathname, maxAge)

  /** Where `POST /oauth/token` is, under appUrl: the code cookie goes only there. */
  const tokenPath = (ctx: PluginContext) => `${new URL(ctx.appUrl!).pathname.replace(/\/$/, '')}${ctx.auth.basePath}/oauth/token`

  /** A listed `redirect_to`: exact match only (a prefix or pattern match is how open redirects happen). */
  const listed = (ctx: PluginContext, redirectTo: string | null): string => {
    if (redirectTo === null || !ctx.redirectUrls.includes(redirectTo)) throw new AuthError('ERR_OAUTH_REDIRECT_NOT_ALLOWED')
    return redirectTo
  }

  async function authorize(ctx: PluginContext, method: RedirectMethod, query: URLSearchParams): Promise<Response> {
    const redirectTo = listed(ctx, query.get('redirect_to'))
    const { attempt, browserSecret } = await startAttempt(ctx, method.name, callbackUrl(ctx, method), redirectTo)
    const url = await method.authorizationUrl(attempt)
    return redirect(url.href, [cookie(ctx, method, browserSecret, ATTEMPT_TTL_SECONDS)])
  }

  /** The caller as stored, if they signed in (not refreshed) within the last 10 minutes. */
  async function recentCaller(ctx: PluginContext, claims: AccessClaims): Promise<UserRecord> {
    const user = await ctx.storage.findUserById(claims.sub)
    if (!user || user.disabled || (claims.ver ?? 0) !== user.tokenVersion) throw new AuthError('ERR_AUTH_TOKEN_REVOKED')
    const signedIn = await ctx.signedInAt(claims)
    if (!signedIn || ctx.now() - signedIn.getTime() > RECENT_SIGN_IN_MS) throw new AuthError('ERR_AUTH_REAUTH_REQUIRED')
    return user
  }

  async function startLink(ctx: PluginContext, method: RedirectMethod, claims: AccessClaims, redirectTo: string): Promise<Response> {
    const user = await recentCaller(ctx, claims)
    const link = { userId: user.id, version: user.tokenVersion }
    const { attempt, browserSecret } = await startAttempt(ctx, method.name, callbackUrl(ctx, method), listed(ctx, redirectTo), link)
    const url = await method.authorizationUrl(attempt)
    const response = json(200, { url: url.href })
    response.headers.append('set-cookie', cookie(ctx, method, browserSecret, ATTEMPT_TTL_SECONDS))
    return response
  }

  async function callback(ctx: PluginContext, method: RedirectMethod, request: Request, query: URLSearchParams): Promise<Response> {
    const found = await findAttempt(ctx, query.get('state'))
    // Without a known attempt there is no listed URL to go back to: answered here.
    if (!found) throw new AuthError('ERR_OAUTH_STATE_INVALID')
    const { record, payload } = found
    const clear = cookie(ctx, method, '', 0)
    const fail = (code: string) => {
      ctx.emit('oauth:failed', { provider: method.name, code })
      const back = new URL(payload.redirectTo)
      back.searchParams.set('error', code)
      return redirect(back.href, [clear])
    }
    if (payload.provider !== method.name || !sameBrowser(payload, readCookie(request.headers.get('cookie'), cookieName(method.name)))) {
      return fail('ERR_OAUTH_ATTEMPT_MISMATCH')
    }
    if (!(await consumeAttempt(ctx, record))) return fail('ERR_OAUTH_STATE_INVALID')
    if (query.has('error')) return fail('ERR_OAUTH_PROVIDER_ERROR')
    // The URL the provider sent the browser to, rebuilt from the registered one (never the request's Host).
    const current = new URL(payload.redirectUri)
    current.search = new URL(request.url).search
    let identity
    try {
      identity = await method.callback(current, { state: query.get('state')!, nonce: payload.nonce, codeVerifier: payload.codeVerifier, redirectUri: payload.redirectUri })
    } catch (err) {
      // Why (a bad signature, a wrong nonce) is for the server's logs, not the redirect.
      ctx.reportError(err)
      return fail('ERR_OAUTH_VERIFICATION_FAILED')
    }
    if (payload.link) {
      // An explicit link: for the user who asked, as they were when they asked.
      const owner = await ctx.storage.findUserById(payload.link.userId)
      if (!owner || owner.disabled || owner.tokenVersion !== payload.link.version) return fail('ERR_AUTH_TOKEN_REVOKED')
      try {
        await linkTo(ctx, method.name, identity, owner.id)
      } catch (err) {
        if (isAuthError(err)) return fail(err.code)
        throw err
      }
      const back = new URL(payload.redirectTo)
      back.searchParams.set('linked', method.name)
      return redirect(back.href, [clear])
    }
    let user
    try {
      const found = await userFor(ctx, method.name, identity)
      user = found.user
    } catch (err) {
      if (isAuthError(err)) return fail(err.code)
      throw err
    }
    // The code works only with a cookie this browser gets now: a code carried
    // to another browser (an attacker's, pushed into a victim's page: login
    // CSRF; or one leaked from a URL) signs nobody in there.
    const code = newOneTimeSecret()
    const holder = newOneTimeSecret()
    const now = ctx.now()
    await ctx.storage.oneTimeTokens!.createToken({
      id: randomUUID(), purpose: CODE_PURPOSE, userId: user.id, secretHash: code.secretHash,
      payload: { provider: method.name, holder: holder.secretHash },
      createdAt: new Date(now), expiresAt: new Date(now + CODE_TTL_SECONDS * 1000),
    })
    const back = new URL(payload.redirectTo)
    back.searchParams.set('code', code.secret)
    return redirect(back.href, [clear, scoped(ctx, CODE_COOKIE, holder.secret, tokenPath(ctx), CODE_TTL_SECONDS)])
  }

  async function exchangeWith(ctx: PluginContext, code: unknown, holderCookie: string | undefined): Promise<SignedIn> {
    if (!isOneTimeSecret(code) || !isOneTimeSecret(holderCookie)) throw new AuthError('ERR_OAUTH_CODE_INVALID')
    const hash = hashOneTimeSecret(code)
    const now = new Date(ctx.now())
    // Checked before it is used up: a code presented by the wrong browser stays usable by the right one.
    const found = await ctx.storage.oneTimeTokens!.findToken(CODE_PURPOSE, hash, now)
    const holder = (found?.payload as { holder?: unknown } | null | undefined)?.holder
    if (!found || typeof holder !== 'string' || !sameSecret(holderCookie, holder)) throw new AuthError('ERR_OAUTH_CODE_INVALID')
    const record = await ctx.storage.oneTimeTokens!.consumeToken(CODE_PURPOSE, hash, now)
    const provider = (record?.payload as { provider?: unknown } | null | undefined)?.provider
    if (!record || typeof provider !== 'string') throw new AuthError('ERR_OAUTH_CODE_INVALID')
    const user = await ctx.storage.findUserById(record.userId!)
    if (!user) throw new AuthError('ERR_OAUTH_CODE_INVALID')
    return ctx.signIn(user, `oauth:${provider}`)
  }

  const routes: RouteDeclaration[] = methods.flatMap((method) => [
    {
      method: 'GET' as const,
      path: `/oauth/${method.name}/authorize`,
      rateLimit: 'authorize',
      handler: async (call, ctx) => authorize(ctx, method, call.query),
    },
    {
      method: 'GET' as const,
      path: `/oauth/${method.name}/callback`,
      rateLimit: 'callback',
      handler: async (call, ctx) => {
        try {
          return await callback(ctx, method, call.request, call.query)
        } catch (err) {
          // Answered here, as JSON: no attempt, so no listed URL to send the browser to.
          if (!isAuthError(err)) ctx.reportError(err)
          return errorResponse(err, { 'cache-control': 'no-store' })
        }
      },
    },
    {
      method: 'POST' as const,
      path: `/oauth/${method.name}/link`,
      auth: 'bearer' as const,
      input: linkInput,
      rateLimit: 'authorize',
      handler: async (call, ctx) => startLink(ctx, method, call.claims!, (call.body as { redirect_to: string }).redirect_to),
    },
    {
      method: 'DELETE' as const,
      path: `/oauth/${method.name}/link`,
      auth: 'bearer' as const,
      handler: async (call, ctx) => ({ removed: await unlink(ctx, method.name, await recentCaller(ctx, call.claims!)) }),
    },
  ])
  routes.push({
    method: 'POST',
    path: '/oauth/token',
    input: tokenInput,
    rateLimit: 'token',
    handler: async (call, ctx) => exchangeWith(ctx, (call.body as { code: string }).code, readCookie(call.request.headers.get('cookie'), CODE_COOKIE)),
  })

  return {
    name: 'oauth',
    requires: ['oneTimeTokens', 'credentials'],
    routes,
    rateLimits: {
      authorize: { limit: 30, window: '10 minutes' },
      callback: { limit: 30, window: '10 minutes' },
      token: { limit: 30, window: '10 minutes' },
    },
    errors: {
      ERR_OAUTH_REDIRECT_NOT_ALLOWED: { status: 400, message: 'redirect_to is not one of the allowed URLs', description: 'The `redirect_to` of `/oauth/:name/authorize` must be exactly one of the `redirectUrls` option (no prefix or pattern matching).' },
      ERR_OAUTH_STATE_INVALID: { status: 400, message: 'This sign-in attempt is unknown, expired or already used', description: 'The callback\'s `state` names no live attempt (made more than 10 minutes ago, used already, or forged); start again.' },
      ERR_OAUTH_ATTEMPT_MISMATCH: { status: 400, message: 'This sign-in was started in another browser', description: 'The callback came without the attempt cookie of the browser that started it, or for another provider: a login CSRF, or cookies blocked. Start again in this browser.' },
      ERR_OAUTH_PROVIDER_ERROR: { status: 400, message: 'The provider did not sign you in', description: 'The provider answered with an error (the user cancelled, or the client is misconfigured there).' },
      ERR_OAUTH_VERIFICATION_FAILED: { status: 400, message: 'The provider\'s answer could not be verified', description: 'The code exchange or the ID token failed a check (signature, issuer, audience, expiry, nonce, PKCE); the reason is reported as an `error` event.' },
      ERR_OAUTH_ACCOUNT_EXISTS: { status: 409, message: 'An account with this email exists: sign in to it, then link this provider', description: 'A first sign-in with a provider whose email belongs to an existing account links only if both emails are verified and the provider is in `trustedProviders`.' },
      ERR_OAUTH_EMAIL_REQUIRED: { status: 400, message: 'The provider did not share an email address', description: 'A new account needs an email the provider shares (ask for the email scope).' },
      ERR_OAUTH_EMAIL_UNVERIFIED: { status: 400, message: 'The provider has not verified this email address', description: 'A new account is made only for an address the provider verified.' },
      ERR_OAUTH_IDENTITY_TAKEN: { status: 409, message: 'This provider account is linked to another user', description: 'An explicit link named a provider identity that already signs in another user; unlink it there first.' },
      ERR_OAUTH_LAST_SIGN_IN_METHOD: { status: 409, message: 'This is your only way to sign in', description: 'Unlinking would leave the account with no password and no other provider; set a password or link another provider first.' },
      ERR_OAUTH_CODE_INVALID: { status: 400, message: 'This sign-in code is not valid', description: 'The code from the callback redirect is unknown, expired (60 seconds) or already used.' },
    },
    events: ['oauth:linked', 'oauth:failed'],
    setup(ctx) {
      if (!ctx.appUrl) throw new UsageError('redirect sign-in needs the appUrl option: callbacks and cookies are under it')
      context = ctx
    },
    // The operations from code (`auth.oauth`): the same functions the routes run, with the cookies handed over.
    async authorize(name, redirectTo) {
      const answer = await authorize(started(), methodNamed(name), new URLSearchParams({ redirect_to: redirectTo }))
      return { url: answer.headers.get('location')!, cookie: answer.headers.getSetCookie()[0]! }
    },
    async callback(name, url, cookieHeader) {
      const request = new Request(url, { headers: cookieHeader ? { cookie: cookieHeader } : {} })
      const answer = await callback(started(), methodNamed(name), request, new URL(url).searchParams)
      return { location: answer.headers.get('location')!, cookies: answer.headers.getSetCookie() }
    },
    exchange: async (code, cookieHeader) => exchangeWith(started(), code, readCookie(cookieHeader ?? null, CODE_COOKIE)),
  }
}
