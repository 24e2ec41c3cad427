/**
 * Sign in with Microsoft (the Microsoft identity platform, v2 endpoints):
 * work and school accounts of one tenant or of any, and personal Microsoft
 * accounts.
 *
 * Why not `oidc()`: for `common` and `organizations` Microsoft's discovery
 * names no issuer but a template, `https://login.microsoftonline.com/{tenantid}/v2.0`,
 * and each ID token's `iss` is that template filled with the token's own
 * `tid`. openid-client v6 compares `iss` with the discovered issuer, and
 * accepts the template only for discovery at exactly
 * `https://login.microsoftonline.com` (not the national clouds) through a
 * hook that is internal to it. So this method speaks the protocol itself,
 * for every `tenant` alike, with the same checks `oidc()` makes:
 *
 * - PKCE (S256), `state` (constant time), `nonce`;
 * - the ID token's signature, RS256 only (the algorithm Microsoft signs
 *   with), by a key from the discovered `jwks_uri`;
 * - `iss` equal to `<authority>/<tid>/v2.0` with `tid` a GUID, and to the
 *   discovered issuer once `{tenantid}` is replaced by that `tid` (so a
 *   token of tenant B that claims to be of tenant A, or the other way round,
 *   is refused); and when the signing key names an issuer (Microsoft's keys
 *   do, some of them for one tenant only), the same of it;
 * - `aud` (the client id; `azp` when present), `exp`, `iat`, `nbf` with 30
 *   seconds of clock tolerance;
 * - `tid` in `allowedTenants`, when set.
 *
 * The identity is keyed by `tid` and `oid` (the user's object id, which
 * Microsoft never reassigns), never by `email` or `preferred_username`,
 * which a tenant's admin or user can change.
 */
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTPayload } from 'jose'
import { UsageError, type ExternalIdentity, type RedirectAttempt, type RedirectMethod } from '../../../lib/index.js'
import { authorizationCode, baseUrlOption, checkCommon, constantTimeEqual, describe, fetchJson, isObject, isSafeUrl, pkceChallenge, single } from './provider-http.js'

/** Options of {@link microsoft}. */
export interface MicrosoftOptions {
  /** The method's name (it names the routes, `/oauth/<name>/...`). Default `'microsoft'`. */
  name?: string
  /**
   * Who may sign in: one tenant, by its ID (a GUID) or one of its verified
   * domains (`contoso.com`); `'organizations'`: work and school accounts
   * of any tenant; `'common'`: those and personal Microsoft accounts;
   * `'consumers'`: personal Microsoft accounts only. With `organizations`
   * or `common`, set `allowedTenants` unless any organisation's users are
   * welcome.
   */
  tenant: string
  /** The app registration's Application (client) ID. */
  clientId: string
  /** A client secret of the app registration (a web platform redirect URI needs one). */
  clientSecret?: string
  /** The callback URL registered at Microsoft, when not `${appUrl}${basePath}/oauth/<name>/callback`. */
  callbackUrl?: string
  /**
   * With `tenant: 'organizations' | 'common' | 'consumers'`: the tenant IDs
   * (GUIDs) whose users may sign in; a token of any other tenant is
   * refused. Without it, any tenant's users may (anyone can make a tenant).
   */
  allowedTenants?: string[]
  /**
   * The Microsoft Entra authority: default `https://login.microsoftonline.com`;
   * a national cloud's (`https://login.microsoftonline.us`,
   * `https://login.chinacloudapi.cn`). https, or http on a loopback address (tests).
   */
  authority?: string
  /** How long each request to Microsoft may take, in seconds. Default 10. */
  timeout?: number
}

/** The tenant values that let users of many tenants in. */
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers'])
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i
const SCOPE = 'openid profile email'
/** Microsoft signs ID tokens with RS256; any other algorithm is refused. */
const ALGORITHMS = ['RS256']

/** What discovery found, once. */
interface Discovered {
  /** The discovered issuer: the `{tenantid}` template, or one tenant's issuer. */
  readonly issuer: string
  readonly authorizationEndpoint: string
  readonly tokenEndpoint: string
  /** Whether the provider promises an `iss` on its redirect back (RFC 9207). */
  readonly issParameter: boolean
  readonly keys: ReturnType<typeof createRemoteJWKSet>
  /** The `issuer` members of the signing keys, by `kid`, as last fetched. */
  readonly keyIssuers: () => ReadonlyMap<string, string>
}

/**
 * A sign-in method for Microsoft accounts (Microsoft Entra ID work and
 * school accounts, personal Microsoft accounts). Register an app in the
 * Microsoft Entra admin center (App registrations), with a Web redirect URI
 * `${appUrl}${basePath}/oauth/microsoft/callback` and a client secret.
 */
export function microsoft(options: MicrosoftOptions): RedirectMethod {
  if (options === null || typeof options !== 'object') throw new UsageError('microsoft(options) needs an options object')
  checkCommon('microsoft', options)
  if (options.clientSecret !== undefined && (typeof options.clientSecret !== 'string' || options.clientSecret === '')) {
    throw new UsageError('microsoft: clientSecret must be a non-empty string when given')
  }
  const tenant = typeof options.tenant === 'string' ? options.tenant.toLowerCase() : ''
  const multiTenant = MULTI_TENANT.has(tenant)
  if (!multiTenant && !GUID.test(tenant) && !DOMAIN.test(tenant)) {
    throw new UsageError("microsoft: tenant must be a tenant ID (a GUID), a verified domain, or 'common', 'organizations' or 'consumers'")
  }
  let allowedTenants: ReadonlySet<string> | undefined
  if (options.allowedTenants !== undefined) {
    if (!multiTenant) throw new UsageError(`microsoft: allowedTenants is for tenant 'common', 'organizations' or 'consumers'; tenant '${tenant}' lets only its own users in`)
    if (!Array.isArray(options.allowedTenants) || options.allowedTenants.length === 0 || !options.allowedTenants.every((t) => typeof t === 'string' && GUID.test(t))) {
      throw new UsageError('microsoft: allowedTenants must be a non-empty list of tenant IDs (GUIDs)')
    }
    allowedTenants = new Set(options.allowedTenants.map((t) => t.toLowerCase()))
  }
  const authority = baseUrlOption('microsoft', 'authority', options.authority ?? 'https://login.microsoftonline.com')
  const timeout = options.timeout ?? 10
  const { clientId, clientSecret } = options
  const template = `${authority}/{tenantid}/v2.0`
  /** The tenant ID of `<authority>/<tid>/v2.0`, or undefined. */
  const tenantOf = (issuer: string) => {
    const tid = issuer.startsWith(`${authority}/`) && issuer.endsWith('/v2.0') ? issuer.slice(authority.length + 1, -'/v2.0'.length) : undefined
    return tid !== undefined && GUID.test(tid) ? tid : undefined
  }
  const isTenantIssuer = (issuer: string) => tenantOf(issuer) !== undefined

  async function discover(): Promise<Discovered> {
    const metadata = await fetchJson(`${authority}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`, {
      what: 'microsoft: discovery',
      timeout,
      maxBytes: 64 * 1024,
    })
    if (!isObject(metadata) || typeof metadata.issuer !== 'string') throw new Error('microsoft: discovery answered no issuer')
    const { issuer } = metadata
    // The template only where Microsoft answers one; else one tenant's issuer, and the configured one's if given by ID.
    const concrete = tenantOf(issuer)
    const expected = issuer === template ? tenant === 'common' || tenant === 'organizations' : concrete !== undefined && (!GUID.test(tenant) || concrete.toLowerCase() === tenant)
    if (!expected) throw new Error(`microsoft: discovery for tenant '${tenant}' names an unexpected issuer`)
    const endpoint = (field: string) => {
      const value = metadata[field]
      let url: URL | undefined
      try {
        url = typeof value === 'string' ? new URL(value) : undefined
      } catch {
        url = undefined
      }
      if (!url || !isSafeUrl(url)) throw new Error(`microsoft: discovery's ${field} is not an https URL`)
      return url
    }
    const authorizationEndpoint = endpoint('authorization_endpoint').href
    const tokenEndpoint = endpoint('token_endpoint').href
    let keyIssuers = new Map<string, string>()
    const keys = createRemoteJWKSet(endpoint('jwks_uri'), {
      timeoutDuration: timeout * 1000,
      // Fetched here (bounded in size, and the keys' `issuer` members noted), then handed to jose.
      [customFetch]: async (url: string) => {
        const jwks = await fetchJson(url, { what: 'microsoft: the signing keys', timeout, maxBytes: 512 * 1024 })
        const next = new Map<string, string>()
        if (isObject(jwks) && Array.isArray(jwks.keys)) {
          for (const key of jwks.keys) if (isObject(key) && typeof key.kid === 'string' && typeof key.issuer === 'string') next.set(key.kid, key.issuer)
        }
        keyIssuers = next
        return new Response(JSON.stringify(jwks), { status: 200, headers: { 'content-type': 'application/json' } })
      },
    })
    return { issuer, authorizationEndpoint, tokenEndpoint, issParameter: metadata.authorization_response_iss_parameter_supported === true, keys, keyIssuers: () => keyIssuers }
  }

  let discovery: Promise<Discovered> | undefined
  /** Discovery, once; a failure is forgotten so the next sign-in tries again. */
  const discovered = () => {
    discovery ??= discover()
    discovery.catch(() => (discovery = undefined))
    return discovery
  }

  /** Checks the ID token (see the file comment) and answers its claims. */
  async function verifyIdToken(found: Discovered, idToken: string, attempt: RedirectAttempt): Promise<JWTPayload & { tid: string; oid: string; iss: string }> {
    const { payload, protectedHeader } = await jwtVerify(idToken, found.keys, {
      algorithms: ALGORITHMS,
      audience: clientId,
      clockTolerance: 30,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'tid', 'oid'],
    }).catch((err: unknown) => {
      // jose's message says which check failed; its error also holds the token's claims (an email, a name), which stay out of logs.
      const { code, message } = err as { code?: unknown; message?: unknown }
      throw new Error(`microsoft: the ID token failed verification (${describe(code)}: ${String(message)})`)
    })
    const { tid, oid, iss, nonce, azp, aud } = payload as JWTPayload & Record<string, unknown>
    if (typeof tid !== 'string' || !GUID.test(tid)) throw new Error('microsoft: the ID token\'s tid is not a tenant ID')
    if (typeof oid !== 'string' || !GUID.test(oid)) throw new Error('microsoft: the ID token\'s oid is not an object ID')
    // The issuer is the tenant's that the token says it is for, and one the discovered issuer allows.
    const tenantIssuer = `${authority}/${tid}/v2.0`
    if (iss !== tenantIssuer || found.issuer.replace('{tenantid}', tid) !== tenantIssuer) {
      throw new Error('microsoft: the ID token\'s iss is not the issuer of its tid')
    }
    // A key that names an issuer signs only for it (Microsoft has keys for one tenant, or one app).
    const kid = protectedHeader.kid
    if (typeof kid !== 'string') throw new Error('microsoft: the ID token names no key (kid)')
    const keyIssuer = found.keyIssuers().get(kid)
    if (keyIssuer !== undefined && keyIssuer.replace('{tenantid}', tid) !== tenantIssuer) {
      throw new Error('microsoft: the ID token was signed by a key for another issuer')
    }
    if (typeof nonce !== 'string' || !constantTimeEqual(nonce, attempt.nonce)) throw new Error('microsoft: the ID token\'s nonce is not the attempt\'s')
    if ((azp !== undefined || (Array.isArray(aud) && aud.length > 1)) && azp !== clientId) throw new Error('microsoft: the ID token\'s azp is not this client')
    if (allowedTenants && !allowedTenants.has(tid.toLowerCase())) throw new Error('microsoft: the tenant is not one of allowedTenants')
    return payload as JWTPayload & { tid: string; oid: string; iss: string }
  }

  return Object.freeze({
    name: options.name ?? 'microsoft',
    kind: 'redirect' as const,
    ...(options.callbackUrl !== undefined && { callbackUrl: options.callbackUrl }),

    async authorizationUrl(attempt: RedirectAttempt): Promise<URL> {
      const found = await discovered()
      const url = new URL(found.authorizationEndpoint)
      const parameters = {
        client_id: clientId,
        response_type: 'code',
        response_mode: 'query',
        redirect_uri: attempt.redirectUri,
        scope: SCOPE,
        state: attempt.state,
        nonce: attempt.nonce,
        code_challenge: pkceChallenge(attempt.codeVerifier),
        code_challenge_method: 'S256',
      }
      for (const [key, value] of Object.entries(parameters)) url.searchParams.set(key, value)
      return url
    },

    async callback(callbackUrl: URL, attempt: RedirectAttempt): Promise<ExternalIdentity> {
      const found = await discovered()
      const code = authorizationCode('microsoft', callbackUrl, attempt)
      // RFC 9207: an `iss` on the way back names the discovered issuer (or, below, the token's tenant's).
      const issParameter = single(callbackUrl.searchParams, 'iss')
      if (found.issParameter && issParameter === undefined) throw new Error('microsoft: the callback carries no iss')
      if (issParameter !== undefined && issParameter !== found.issuer && !(found.issuer === template && isTenantIssuer(issParameter))) {
        throw new Error('microsoft: the callback\'s iss is not this issuer')
      }
      const form = new URLSearchParams({ client_id: clientId, grant_type: 'authorization_code', code, redirect_uri: attempt.redirectUri, code_verifier: attempt.codeVerifier })
      if (clientSecret !== undefined) form.set('client_secret', clientSecret)
      const tokens = await fetchJson(found.tokenEndpoint, { what: 'microsoft: the token request', form, timeout, maxBytes: 64 * 1024 })
      if (!isObject(tokens)) throw new Error('microsoft: the token request answered no JSON object')
      if (tokens.error !== undefined) throw new Error(`microsoft: the token request was refused (${describe(tokens.error)})`)
      if (typeof tokens.id_token !== 'string') throw new Error('microsoft: the token request answered no ID token')
      const claims = await verifyIdToken(found, tokens.id_token, attempt)
      if (issParameter !== undefined && issParameter !== found.issuer && issParameter !== claims.iss) throw new Error('microsoft: the callback\'s iss is not this issuer')
      return {
        issuer: claims.iss,
        subject: `${claims.tid.toLowerCase()}:${claims.oid.toLowerCase()}`,
        // Only the `email` claim, and verified only by `xms_edov` (see docs/oauth.md): Microsoft does not verify it in general.
        ...(typeof claims.email === 'string' && claims.email !== '' && { email: claims.email }),
        emailVerified: claims.xms_edov === true,
        ...(typeof claims.name === 'string' && claims.name.trim() !== '' && { name: claims.name }),
      }
    },
  })
}
