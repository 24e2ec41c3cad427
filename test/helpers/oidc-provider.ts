// A real OpenID Provider for tests: oidc-provider v9 in this process, plain http on
// 127.0.0.1 and a free port (our client accepts http only for loopback issuers), so
// sign-in-with-OIDC tests run the whole protocol (discovery, JWKS, authorization with
// PKCE, the provider's own login and consent pages, the token endpoint) without the
// internet. `login()` plays the browser; `tamper()` bends the next ID token so tests
// can show the client refuses it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { SignJWT, base64url, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose'

/** An end-user the provider's dev login accepts (any password): its ID token carries these claims. */
export interface TestAccount {
  sub: string
  email?: string
  emailVerified?: boolean
  name?: string
}

/**
 * What the provider does to the next ID token it issues (one token response, then it is
 * back to normal), for refusal tests. The token endpoint's answer is rewritten after
 * oidc-provider made it: the ID token's claims are changed and it is signed again with the
 * provider's own key (so only the changed claim is wrong), or not signed at all (`alg: 'none'`),
 * or signed with HS256 keyed by the client secret (`alg: 'HS256'`, the classic
 * "asymmetric key confusion" shape a client must refuse when it expects RS256/ES256).
 */
export interface Tamper {
  /** A different `iss`. */
  idTokenIssuer?: string
  /** A different `aud`. */
  idTokenAudience?: string
  /** `exp` = now + this many seconds (e.g. -60: expired beyond a 30s clock tolerance). `iat` is moved back to `exp` if it was later. */
  idTokenExpiresIn?: number
  /** Replace the `nonce` claim. */
  nonce?: string
  /** `'none'`: `header.payload.` unsigned; `'HS256'`: signed with the client secret as an HMAC key. */
  alg?: 'none' | 'HS256'
  /** Claims changed after signing: the provider's signature no longer matches (a client must check it). */
  breakSignature?: boolean
  /** Extra claims merged into the ID token (after the above), e.g. `{ email_verified: false }`. `undefined` values delete a claim. */
  claims?: Record<string, unknown>
}

export interface TestProvider {
  /** http://127.0.0.1:PORT, exactly as discovery, `iss` claims and the authorization response's `iss` say it. */
  readonly issuer: string
  /** The one registered client: confidential, client_secret_basic (oidc-provider also accepts client_secret_post for it), code flow, PKCE S256 required. */
  readonly clientId: string
  readonly clientSecret: string
  /** The redirect URIs registered for the client; `login()` stops at a redirect to one of them. */
  readonly redirectUris: readonly string[]
  /** Register (or replace) an account the dev login accepts: sub, email, email_verified, name. */
  addAccount(account: TestAccount): void
  /**
   * Drive a browser through the provider: GET the authorization URL (as our app redirected to it), follow the provider's
   * redirects with a fresh cookie jar (so every call signs in anew: login form, then consent form), submit the dev login
   * form for `sub` and the consent form, and return the final redirect Location back to the client's redirect_uri (the
   * callback URL with code, state, iss — or error, state, iss when the provider refuses the request) WITHOUT requesting it.
   * Throws if `sub` was never registered, or the provider answers anything but a redirect or its own forms.
   */
  login(authorizationUrl: string | URL, sub: string): Promise<URL>
  /** Change what the provider does for the next token response carrying an ID token (then it is cleared). */
  tamper(next: Tamper): void
  close(): Promise<void>
}

export interface StartProviderOptions {
  /** Registered redirect URIs (exact match, as the provider compares them). */
  redirectUris: string[]
  /** Default 'authcore-test-client'. */
  clientId?: string
  /** The client's id_token_signed_response_alg; default RS256. The provider holds an RS256 and an ES256 key either way. */
  idTokenSigningAlg?: 'RS256' | 'ES256'
}

/** A default end-user, registered by every `startProvider()`: `provider.login(url, oneAccount.sub)` works out of the box. */
export const oneAccount: Readonly<Required<TestAccount>> = Object.freeze({
  sub: 'oidc-user-1',
  email: 'ada@example.com',
  emailVerified: true,
  name: 'Ada Lovelace',
})

// ---------------------------------------------------------------------------
// A minimal cookie jar, enough for a provider on one host: Set-Cookie name=value with Path,
// Expires and Max-Age (deletion); no Domain matching (host-only cookies on one origin).

interface StoredCookie { name: string; value: string; path: string; expires?: number }

export class CookieJar {
  readonly cookies: StoredCookie[] = []

  /** Remember the Set-Cookie headers of `response`, which answered a request for `url`. */
  store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      // RFC 6265 default-path: the request path up to its last '/'.
      let path = url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/'
      let expires: number | undefined
      for (const attribute of attributes) {
        const i = attribute.indexOf('=')
        const key = (i < 0 ? attribute : attribute.slice(0, i)).trim().toLowerCase()
        const val = i < 0 ? '' : attribute.slice(i + 1).trim()
        if (key === 'path' && val.startsWith('/')) path = val
        else if (key === 'max-age') expires = Date.now() + Number(val) * 1000
        else if (key === 'expires' && expires === undefined) expires = Date.parse(val)
      }
      const at = this.cookies.findIndex((c) => c.name === name && c.path === path)
      if (at >= 0) this.cookies.splice(at, 1)
      if (expires !== undefined && !(expires > Date.now())) continue // a deletion
      this.cookies.push({ name, value, path, ...(expires !== undefined && { expires }) })
    }
  }

  /** The Cookie header for a request to `url` (longest paths first, as browsers send them), or undefined. */
  header(url: URL): string | undefined {
    const now = Date.now()
    const matching = this.cookies
      .filter((c) => (c.expires === undefined || c.expires > now) && pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length)
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  if (!requestPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'
}

export type CookieJarFetch = ((input: string | URL, init?: RequestInit) => Promise<Response>) & { readonly jar: CookieJar }

/**
 * fetch with a cookie jar and `redirect: 'manual'` (a test sees every redirect and can stop at the
 * callback): sends the jar's cookies, stores the answer's Set-Cookie. Node's fetch keeps no cookies itself.
 */
export function cookieJarFetch(jar = new CookieJar()): CookieJarFetch {
  const jarFetch = async (input: string | URL, init: RequestInit = {}) => {
    const url = new URL(input)
    const headers = new Headers(init.headers)
    const cookie = jar.header(url)
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie)
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    jar.store(url, response)
    return response
  }
  return Object.assign(jarFetch, { jar })
}

// ---------------------------------------------------------------------------
// oidc-provider ships no types; these are the few parts used here.

interface KoaContext {
  method: string
  path: string
  status: number
  body: unknown
}
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): unknown
}
type OidcProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider

// oidc-provider talks through console.warn/console.info ("oidc-provider WARNING: ..." / "NOTICE: ...",
// possibly wrapped in ANSI colours): that Node 20 is not a supported runtime (at import time), that
// devInteractions, the in-memory adapter and default helper functions are for development only. All
// true and all noise in test output, so those lines (and only those) are dropped. Installed once,
// before the module is first imported — which is why it is imported dynamically.
const OIDC_PROVIDER_LINE = /^(?:\x1b\[[\d;]*m)?oidc-provider (?:WARNING|NOTICE): /
let providerClass: Promise<OidcProviderClass> | undefined
function loadProvider(): Promise<OidcProviderClass> {
  if (!providerClass) {
    for (const level of ['warn', 'info'] as const) {
      const original = console[level]
      console[level] = (...args: unknown[]) => {
        if (typeof args[0] === 'string' && OIDC_PROVIDER_LINE.test(args[0])) return
        original.apply(console, args)
      }
    }
    // A variable specifier: the package has no declarations, and this keeps tsc from asking for them.
    const specifier = 'oidc-provider'
    providerClass = import(specifier).then((module: { default: OidcProviderClass }) => module.default)
  }
  return providerClass
}

const withoutQuery = (url: string | URL) => {
  const u = new URL(url)
  return `${u.origin}${u.pathname}`
}

const b64json = (value: unknown) => base64url.encode(JSON.stringify(value))

/**
 * Start a provider on 127.0.0.1 (a free port) with one confidential client and `oneAccount` registered.
 * Close it with `close()` (e.g. in `t.teardown`).
 */
export async function startProvider(options: StartProviderOptions = { redirectUris: ['http://127.0.0.1:1/cb'] }): Promise<TestProvider> {
  const Provider = await loadProvider()
  const redirectUris = [...options.redirectUris]
  if (!redirectUris.length) throw new TypeError('startProvider: redirectUris must name at least one redirect URI')
  const clientId = options.clientId ?? 'authcore-test-client'
  // 32+ bytes: long enough to be an HS256 key for the alg tamper.
  const clientSecret = randomBytes(32).toString('base64url')
  const idTokenSigningAlg = options.idTokenSigningAlg ?? 'RS256'

  // The provider's signing keys, kept here too so a tampered ID token can be signed again with the real key.
  const signingKeys = new Map<string, { kid: string; privateKey: CryptoKey }>()
  const jwks: Record<string, unknown>[] = []
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    const kid = `test-${alg.toLowerCase()}`
    signingKeys.set(alg, { kid, privateKey })
    jwks.push({ ...(await exportJWK(privateKey)), kid, alg, use: 'sig' })
  }

  const accounts = new Map<string, TestAccount>([[oneAccount.sub, { ...oneAccount }]])
  let pendingTamper: Tamper | undefined

  // Listen first: the issuer (and so the Provider) needs the port.
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        // oidc-provider accepts client_secret_post too for a client registered with either secret method.
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: idTokenSigningAlg,
      },
    ],
    jwks: { keys: jwks },
    // Fixed keys: the provider's signed cookies (name + name.sig) need some, and tests want no randomness here.
    cookies: { keys: ['authcore-test-cookie-key-one', 'authcore-test-cookie-key-two'] },
    // scope -> claims; 'email' and 'profile' become supported scopes through this map.
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    // By default (true) a code-flow ID token carries only sub & co and the scope claims come from
    // userinfo; off, the ID token carries email, email_verified and name for the granted scopes.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    // v9 calls this (ctx, client) => boolean: a bare `true` passes construction but makes every
    // authorization request a 500. S256 is the only code_challenge_method v9 supports.
    pkce: { required: () => true },
    features: {
      // The built-in login (any login, any password: the login is the accountId) and consent pages.
      devInteractions: { enabled: true },
    },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub)
      if (!account) return undefined
      return {
        accountId: sub,
        // oidc-provider filters these by the granted scopes and claims.
        async claims() {
          return {
            sub,
            ...(account.email !== undefined && { email: account.email }),
            ...(account.emailVerified !== undefined && { email_verified: account.emailVerified }),
            ...(account.name !== undefined && { name: account.name }),
          }
        },
      }
    },
  })

  // Runs around oidc-provider's router (Provider#use inserts before it): after the token endpoint
  // answered, rewrite the ID token in its JSON body if a tamper is pending.
  provider.use(async (ctx, next) => {
    await next()
    if (!pendingTamper || ctx.method !== 'POST' || ctx.path !== '/token' || ctx.status !== 200) return
    const body = ctx.body as { id_token?: unknown } | undefined
    if (!body || typeof body.id_token !== 'string') return
    const tamper = pendingTamper
    pendingTamper = undefined
    body.id_token = await tamperIdToken(body.id_token, tamper)
  })

  async function tamperIdToken(idToken: string, tamper: Tamper): Promise<string> {
    const header = decodeProtectedHeader(idToken)
    const payload: JWTPayload = { ...decodeJwt(idToken) }
    if (tamper.idTokenIssuer !== undefined) payload.iss = tamper.idTokenIssuer
    if (tamper.idTokenAudience !== undefined) payload.aud = tamper.idTokenAudience
    if (tamper.idTokenExpiresIn !== undefined) {
      payload.exp = Math.floor(Date.now() / 1000) + tamper.idTokenExpiresIn
      if (payload.iat !== undefined && payload.iat > payload.exp) payload.iat = payload.exp
    }
    if (tamper.nonce !== undefined) payload.nonce = tamper.nonce
    for (const [claim, value] of Object.entries(tamper.claims ?? {})) {
      if (value === undefined) delete payload[claim]
      else payload[claim] = value
    }
    if (tamper.alg === 'none') return `${b64json({ alg: 'none' })}.${b64json(payload)}.`
    if (tamper.alg === 'HS256') {
      return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(clientSecret))
    }
    const key = signingKeys.get(String(header.alg))
    if (!key) throw new Error(`oidc-provider test helper: no key for the ID token's alg ${String(header.alg)}`)
    const signed = await new SignJWT(payload).setProtectedHeader({ ...header, alg: String(header.alg), kid: key.kid }).sign(key.privateKey)
    if (!tamper.breakSignature) return signed
    // Another subject in the signed payload: the signature is the provider's, over different bytes.
    const [h, , sig] = signed.split('.')
    return `${h}.${b64json({ ...payload, sub: `${String(payload.sub)}-forged` })}.${sig}`
  }

  server.on('request', provider.callback())

  const redirectTargets = new Set(redirectUris.map(withoutQuery))

  async function login(authorizationUrl: string | URL, sub: string): Promise<URL> {
    if (!accounts.has(sub)) throw new Error(`oidc test provider: no account registered for sub ${JSON.stringify(sub)} (addAccount first)`)
    const browser = cookieJarFetch()
    let url = new URL(authorizationUrl)
    let init: RequestInit = { method: 'GET' }
    // auth -> login page -> POST -> auth resume -> consent page -> POST -> auth resume -> callback: 8 steps.
    for (let step = 0; step < 20; step++) {
      const response = await browser(url, init)
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel()
        const next = new URL(location, url)
        if (redirectTargets.has(withoutQuery(next))) return next
        url = next
        init = { method: 'GET' }
        continue
      }
      const text = await response.text()
      const form = response.status === 200 ? devInteractionForm(text) : undefined
      if (!form) {
        throw new Error(`oidc test provider: ${init.method} ${url.href} answered ${response.status}, not a redirect or a login/consent form: ${squeeze(text)}`)
      }
      const fields = new URLSearchParams({ prompt: form.prompt })
      if (form.prompt === 'login') {
        fields.set('login', sub)
        fields.set('password', 'any password: the dev login does not check it')
      }
      url = new URL(form.action, url)
      init = { method: 'POST', body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded' } }
    }
    throw new Error(`oidc test provider: no redirect to ${redirectUris.join(' or ')} after 20 steps (last at ${url.href})`)
  }

  return {
    issuer,
    clientId,
    clientSecret,
    redirectUris,
    addAccount(account) {
      accounts.set(account.sub, { ...account })
    },
    login,
    tamper(next) {
      pendingTamper = { ...next }
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        // Keep-alive sockets from fetch (openid-client's and ours) would hold close() open.
        server.closeAllConnections()
      })
    },
  }
}

/**
 * The form on one of oidc-provider's devInteractions pages (lib/views/login.js and
 * interaction.js): `<form action="{submitUrl}" method="post">` with a hidden `prompt` of
 * 'login' (then text `login`, which becomes the accountId, and `password`, unchecked) or
 * 'consent' (nothing else). The abort link is a plain <a>, not a form.
 */
function devInteractionForm(html: string): { action: string; prompt: 'login' | 'consent' } | undefined {
  const action = /<form\b[^>]*\baction="([^"]*)"[^>]*method="post"/i.exec(html)?.[1]
  const prompt = /<input type="hidden" name="prompt" value="(login|consent)"/.exec(html)?.[1]
  if (action === undefined || (prompt !== 'login' && prompt !== 'consent')) return undefined
  return { action: unescapeHtml(action), prompt }
}

function unescapeHtml(text: string): string {
  return text.replace(/&(?:#x([\da-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi, (_m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex) return String.fromCodePoint(parseInt(hex, 16))
    if (dec) return String.fromCodePoint(Number(dec))
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[name!.toLowerCase()]!
  })
}

const squeeze = (text: string) => text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)
