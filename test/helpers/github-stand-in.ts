// A stand-in for GitHub's OAuth 2 endpoints and the two API calls sign-in makes, on
// 127.0.0.1 (plain http, a free port), speaking GitHub's shapes: the authorize page
// (which here signs the chosen user in at once and redirects back with code and state),
// the token endpoint (form in, JSON out with Accept: application/json; a refused exchange
// is a 200 with an `error`, as GitHub answers), and the REST API under /api/v3 (the
// Enterprise Server layout, so apiUrl's path is exercised) with GET /user and
// GET /user/emails. PKCE: the S256 challenge seen at authorize is checked against the
// code_verifier at the token endpoint.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface GitHubEmail {
  email: string
  primary: boolean
  verified: boolean
  visibility?: 'public' | 'private' | null
}

export interface GitHubUser {
  id: number
  login: string
  name?: string | null
  emails: GitHubEmail[]
}

/** A misbehaviour of the next request to `path` (then it is cleared). */
export interface Fault {
  /** '/login/oauth/access_token', '/user' or '/user/emails'. */
  path: string
  status?: number
  /** A raw body in place of the right one. */
  body?: string
  contentType?: string
  /** Milliseconds before answering. */
  delay?: number
}

export interface GitHubStandIn {
  /** http://127.0.0.1:PORT: the `baseUrl` (authorize and token endpoints). */
  readonly baseUrl: string
  /** `${baseUrl}/api/v3`: the `apiUrl`. */
  readonly apiUrl: string
  readonly clientId: string
  readonly clientSecret: string
  /** Register or replace a user (a login or email change keeps the id). */
  setUser(user: GitHubUser): void
  /**
   * Plays the browser at GitHub: GETs the authorization URL (as the app redirected to it) as user `id`, who
   * consents at once; answers the redirect back to the app (code and state, or error) without following it.
   * Throws when GitHub would show an error page instead (an unknown client, a redirect_uri not under the
   * registered callback, no S256 challenge).
   */
  login(authorizationUrl: string | URL, id: number, options?: { deny?: boolean }): Promise<URL>
  /** Make the next request to a path misbehave. */
  fault(fault: Fault): void
  /** Every access token issued, to check none leaks into a log. */
  readonly issuedTokens: readonly string[]
  /** The form of every token request, as received. */
  readonly tokenRequests: readonly URLSearchParams[]
  close(): Promise<void>
}

interface Grant {
  userId: number
  redirectUri: string
  challenge: string
  expires: number
  used: boolean
}

const json = (res: ServerResponse, status: number, body: unknown, contentType = 'application/json; charset=utf-8') => {
  res.writeHead(status, { 'content-type': contentType }).end(typeof body === 'string' ? body : JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text
}

/** Start the stand-in with one OAuth app whose callback is `callbackUrl`. */
export async function startGitHub(options: { callbackUrl: string }): Promise<GitHubStandIn> {
  const clientId = `Iv1.${randomBytes(8).toString('hex')}`
  const clientSecret = randomBytes(20).toString('hex')
  const users = new Map<number, GitHubUser>()
  const grants = new Map<string, Grant>()
  const tokens = new Map<string, number>()
  const issuedTokens: string[] = []
  const tokenRequests: URLSearchParams[] = []
  const faults: Fault[] = []
  const registered = new URL(options.callbackUrl)

  /** GitHub accepts a redirect_uri on the callback's host and port whose path is under the callback's. */
  const redirectAllowed = (uri: string) => {
    try {
      const url = new URL(uri)
      return url.origin === registered.origin && (url.pathname === registered.pathname || url.pathname.startsWith(`${registered.pathname.replace(/\/$/, '')}/`))
    } catch {
      return false
    }
  }

  const takeFault = (path: string) => {
    const at = faults.findIndex((f) => f.path === path)
    return at < 0 ? undefined : faults.splice(at, 1)[0]
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const path = url.pathname.startsWith('/api/v3/') ? url.pathname.slice('/api/v3'.length) : url.pathname
    const fault = takeFault(path)
    if (fault?.delay) await new Promise((resolve) => setTimeout(resolve, fault.delay))
    if (fault && (fault.status !== undefined || fault.body !== undefined)) return json(res, fault.status ?? 200, fault.body ?? '{}', fault.contentType)

    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const q = url.searchParams
      const userId = Number(req.headers['x-stand-in-user'])
      const redirectUri = q.get('redirect_uri') ?? options.callbackUrl
      if (q.get('client_id') !== clientId) return json(res, 404, { message: 'unknown client' }, 'text/plain')
      if (!redirectAllowed(redirectUri)) return json(res, 400, { message: 'The redirect_uri is not associated with this application.' }, 'text/plain')
      const challenge = q.get('code_challenge')
      if (!challenge || q.get('code_challenge_method') !== 'S256') return json(res, 400, { message: 'S256 PKCE expected by this stand-in' }, 'text/plain')
      if (!users.has(userId)) return json(res, 400, { message: `no user ${userId}` }, 'text/plain')
      const back = new URL(redirectUri)
      if (req.headers['x-stand-in-deny'] === '1') {
        back.searchParams.set('error', 'access_denied')
        back.searchParams.set('error_description', 'The user has denied your application access.')
      } else {
        const code = randomBytes(10).toString('hex')
        grants.set(code, { userId, redirectUri, challenge, expires: Date.now() + 600_000, used: false })
        back.searchParams.set('code', code)
      }
      const state = q.get('state')
      if (state !== null) back.searchParams.set('state', state)
      res.writeHead(302, { location: back.href }).end()
      return
    }

    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(await readBody(req))
      tokenRequests.push(form)
      const refuse = (error: string, description: string) => json(res, 200, { error, error_description: description, error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors' })
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return refuse('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.')
      const grant = grants.get(form.get('code') ?? '')
      if (!grant || grant.used || grant.expires < Date.now()) return refuse('bad_verification_code', 'The code passed is incorrect or expired.')
      grant.used = true
      if (form.has('redirect_uri') && form.get('redirect_uri') !== grant.redirectUri) return refuse('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.')
      const verifier = form.get('code_verifier') ?? ''
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return refuse('bad_verification_code', 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.')
      const accessToken = `gho_${randomBytes(18).toString('base64url')}`
      tokens.set(accessToken, grant.userId)
      issuedTokens.push(accessToken)
      if (req.headers.accept?.includes('application/json')) return json(res, 200, { access_token: accessToken, token_type: 'bearer', scope: 'read:user,user:email' })
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }).end(new URLSearchParams({ access_token: accessToken, token_type: 'bearer' }).toString())
      return
    }

    if (req.method === 'GET' && url.pathname.startsWith('/api/v3/')) {
      if (!req.headers['user-agent']) return json(res, 403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.', 'text/plain')
      const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
      const user = token === undefined ? undefined : users.get(tokens.get(token) ?? -1)
      if (!user) return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' })
      if (path === '/user') {
        const publicEmail = user.emails.find((e) => e.visibility === 'public')?.email ?? null
        return json(res, 200, { login: user.login, id: user.id, node_id: `U_${user.id}`, type: 'User', site_admin: false, name: user.name ?? null, email: publicEmail })
      }
      if (path === '/user/emails') return json(res, 200, user.emails.map((e) => ({ visibility: null, ...e })))
    }
    json(res, 404, { message: 'Not Found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    baseUrl,
    apiUrl: `${baseUrl}/api/v3`,
    clientId,
    clientSecret,
    issuedTokens,
    tokenRequests,
    setUser(user) {
      users.set(user.id, structuredClone(user))
    },
    async login(authorizationUrl, id, loginOptions = {}) {
      const response = await fetch(authorizationUrl, { redirect: 'manual', headers: { 'x-stand-in-user': String(id), ...(loginOptions.deny && { 'x-stand-in-deny': '1' }) } })
      const text = await response.text()
      const location = response.headers.get('location')
      if (response.status !== 302 || !location) throw new Error(`github stand-in: authorize answered ${response.status}: ${text}`)
      return new URL(location)
    },
    fault(fault) {
      faults.push({ ...fault })
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
