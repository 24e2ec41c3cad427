/**
 * One list of HTTP cases run against every framework adapter over a real
 * socket, so they all answer every case the same way. A test file provides
 * `start`, which mounts its adapter on its framework with these routes:
 *
 * - the AuthCore routes under `/auth` (the adapter's handler)
 * - GET /api/me      requireAuth(), answers `{ claims }`
 * - GET /api/admin   requireAuth({ roles: ['admin'] }), answers `{ claims }`
 * - GET /health      'ok' as text/plain (pass-through)
 * - POST /api/echo   parses JSON with the framework's own parser, answers `{ echo }`
 * - anything else    the framework's own 404
 */
import { request as httpRequest } from 'node:http'
import type { Test } from 'tap'
import { ERROR_CODES, errorCodeInfo, type AccessClaims, type AuthCore, type AuthErrorCode, type RequestContext } from '../../lib/index.js'
import type { AdapterAuth, ServeOptions } from '../../plugins/adapters/options.js'
import { makeAuth } from './auth.js'

/** A started app: its base URL and how to stop it. */
export interface RunningApp {
  url: string
  close(): Promise<void>
}

/** Mounts the adapter for `auth` (with `options`) on a framework listening on 127.0.0.1:0. */
export type StartApp = (auth: AdapterAuth, options: ServeOptions) => Promise<RunningApp>

const PASS = 'correct horse battery staple'
const USER = { email: 'user@example.com', name: 'User', pass: PASS }
const ADMIN = { email: 'admin@example.com', name: 'Admin', pass: PASS, role: 'admin' }

interface State {
  userToken: string
  userId: string
  adminToken: string
  adminId: string
}

interface Reply {
  status: number
  headers: Record<string, string>
  text: string
}

interface Send {
  method?: string
  path: string
  /** Header pairs, sent in order; a name may repeat. */
  headers?: [string, string][]
  body?: string
  /** Send with node:http exactly as written: no path normalisation, repeated header lines kept. */
  raw?: boolean
}

export interface Expect {
  /**
   * The status. Omitted only for a pass-through whose answer is the app's
   * business (frameworks route such a path differently); it must then
   * still not be a 5xx.
   */
  status?: number
  /** For errors: the code; the body must be exactly `{ error, code }`. */
  code?: AuthErrorCode
  /** The error message when it is not the registry's default. */
  error?: string
  /** The exact WWW-Authenticate value (checked on every 401). */
  www?: string
  /** The exact Allow value (checked on every 405). */
  allow?: string
  /** For 200 JSON answers: matched with t.match. */
  body?: (s: State) => object
  /** For answers that are not the core's (pass-through). */
  text?: string
  /** Pass-through answers carry none of the core's JSON headers. */
  passThrough?: boolean
}

interface Case {
  name: string
  send: (s: State) => Send
  expect: Expect
  /** Runs after the checks, for cases that record state or check more. */
  then?: (body: any, s: State, t: Test) => void
}

const JSON_TYPE: [string, string] = ['content-type', 'application/json']
const bearer = (token: string): [string, string] => ['authorization', `Bearer ${token}`]
const post = (path: string, body: unknown, headers: [string, string][] = []): Send => ({
  method: 'POST',
  path,
  headers: [JSON_TYPE, ...headers],
  body: JSON.stringify(body),
})
const INVALID_TOKEN = 'Bearer error="invalid_token"'
const PUBLIC_USER_KEYS = ['createdAt', 'email', 'emailVerified', 'id', 'name', 'role', 'updatedAt']

/** `[[[...]]]` nested `depth` levels: a small body that is deep. */
const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)

const cases: Case[] = [
  // The Space Cloud operations
  {
    name: 'sign-up creates a user and returns it with a token',
    send: () => post('/auth/email/signup', { email: USER.email, name: USER.name, pass: USER.pass }),
    expect: { status: 200, body: () => ({ user: { email: USER.email, name: USER.name, role: 'user', id: String }, token: String }) },
    then: (body, s) => {
      s.userId = body.user.id
      s.userToken = body.token
    },
  },
  {
    name: 'sign-up with an email already taken',
    send: () => post('/auth/email/signup', { email: USER.email, name: 'Again', pass: PASS }),
    expect: { status: 409, code: 'ERR_AUTH_USER_EXISTS' },
  },
  {
    name: 'sign-up choosing the admin role is refused',
    send: () => post('/auth/email/signup', { email: 'climber@example.com', name: 'Climber', pass: PASS, role: 'admin' }),
    expect: { status: 403, code: 'ERR_AUTH_ROLE_NOT_ALLOWED', error: "The role 'admin' cannot be chosen at sign-up" },
  },
  {
    name: 'sign-in',
    send: () => post('/auth/email/signin', { email: USER.email, pass: PASS }),
    expect: { status: 200, body: (s) => ({ user: { id: s.userId, email: USER.email }, token: String }) },
    then: (body, s) => {
      s.userToken = body.token
    },
  },
  {
    name: 'sign-in with a wrong password',
    send: () => post('/auth/email/signin', { email: USER.email, pass: 'not the password at all' }),
    expect: { status: 401, code: 'ERR_AUTH_INVALID_CREDENTIALS', www: 'Bearer' },
  },
  {
    name: 'sign-in as the admin made with auth.createUser',
    send: () => post('/auth/email/signin', { email: ADMIN.email, pass: PASS }),
    expect: { status: 200, body: (s) => ({ user: { id: s.adminId, role: 'admin' }, token: String }) },
    then: (body, s) => {
      s.adminToken = body.token
    },
  },
  {
    name: 'profile: a user reads their own',
    send: (s) => ({ path: `/auth/profile/${s.userId}`, headers: [bearer(s.userToken)] }),
    expect: { status: 200, body: (s) => ({ user: { id: s.userId, email: USER.email, name: USER.name } }) },
  },
  {
    name: "profile: another user's looks missing",
    send: (s) => ({ path: `/auth/profile/${s.adminId}`, headers: [bearer(s.userToken)] }),
    expect: { status: 404, code: 'ERR_AUTH_USER_NOT_FOUND' },
  },
  {
    name: 'profiles as admin',
    send: (s) => ({ path: '/auth/profiles', headers: [bearer(s.adminToken)] }),
    expect: { status: 200, body: (s) => ({ users: [{ id: String }, { id: String }] }) },
    then: (body, s, t) => {
      t.same((body.users as { id: string }[]).map((u) => u.id).sort(), [s.userId, s.adminId].sort(), 'both users listed')
    },
  },
  {
    name: 'profiles as a non-admin',
    send: (s) => ({ path: '/auth/profiles', headers: [bearer(s.userToken)] }),
    expect: { status: 403, code: 'ERR_AUTH_FORBIDDEN' },
  },
  {
    name: 'edit_profile via POST',
    send: (s) => post(`/auth/edit_profile/${s.userId}`, { name: 'Posted' }, [bearer(s.userToken)]),
    expect: { status: 200, body: (s) => ({ user: { id: s.userId, name: 'Posted', email: USER.email }, token: String }) },
  },
  {
    name: 'edit_profile via PUT',
    send: (s) => ({ ...post(`/auth/edit_profile/${s.userId}`, { name: 'Put' }, [bearer(s.userToken)]), method: 'PUT' }),
    expect: { status: 200, body: (s) => ({ user: { id: s.userId, name: 'Put' }, token: String }) },
  },
  {
    name: "edit_profile with Space Cloud's { update: { $set } } (empty strings unchanged)",
    send: (s) => post(`/auth/edit_profile/${s.userId}`, { update: { $set: { name: 'Set', email: '', pass: '' } } }, [bearer(s.userToken)]),
    expect: { status: 200, body: (s) => ({ user: { id: s.userId, name: 'Set', email: USER.email }, token: String }) },
  },
  {
    name: 'edit_profile with an update that is not $set',
    send: (s) => post(`/auth/edit_profile/${s.userId}`, { update: { $unset: { name: '' } } }, [bearer(s.userToken)]),
    expect: { status: 400, code: 'ERR_AUTH_INPUT_INVALID', error: 'Invalid input: update must be { $set: { email?, name?, pass? } }' },
  },
  {
    name: "edit_profile of another user's id",
    send: (s) => post(`/auth/edit_profile/${s.adminId}`, { name: 'Hijack' }, [bearer(s.userToken)]),
    expect: { status: 404, code: 'ERR_AUTH_USER_NOT_FOUND' },
  },

  // Hostile bodies
  {
    name: 'malformed JSON',
    send: () => ({ method: 'POST', path: '/auth/email/signin', headers: [JSON_TYPE], body: '{"email": "a@b.c", "pass": ' }),
    expect: { status: 400, code: 'ERR_AUTH_BODY_MALFORMED' },
  },
  {
    name: 'JSON nested 5,000 levels deep (inside the size cap)',
    send: () => ({ method: 'POST', path: '/auth/email/signup', headers: [JSON_TYPE], body: `{"email":${deep(5000)},"name":"x","pass":"y"}` }),
    expect: { status: 400, code: 'ERR_AUTH_INPUT_INVALID', error: 'Invalid input: email must be of type string' },
  },
  {
    name: 'a body that is not an object',
    send: () => ({ method: 'POST', path: '/auth/email/signin', headers: [JSON_TYPE], body: '"just a string"' }),
    expect: { status: 400, code: 'ERR_AUTH_INPUT_INVALID', error: 'Invalid input: input must be of type object' },
  },
  {
    name: 'a 1 MB body with its length declared',
    send: () => ({ method: 'POST', path: '/auth/email/signin', headers: [JSON_TYPE], body: 'x'.repeat(1024 * 1024) }),
    expect: { status: 413, code: 'ERR_AUTH_BODY_TOO_LARGE' },
  },
  {
    name: 'wrong content type',
    send: () => ({ method: 'POST', path: '/auth/email/signin', headers: [['content-type', 'text/plain']], body: JSON.stringify({ email: USER.email, pass: PASS }) }),
    expect: { status: 415, code: 'ERR_AUTH_CONTENT_TYPE' },
  },
  {
    name: 'form-encoded body',
    send: () => ({ method: 'POST', path: '/auth/email/signin', headers: [['content-type', 'application/x-www-form-urlencoded']], body: 'email=a%40b.c&pass=x' }),
    expect: { status: 415, code: 'ERR_AUTH_CONTENT_TYPE' },
  },
  {
    name: 'wrong method',
    send: () => ({ method: 'DELETE', path: '/auth/email/signup' }),
    expect: { status: 405, code: 'ERR_AUTH_METHOD_NOT_ALLOWED', allow: 'POST' },
  },
  {
    name: 'wrong method on edit_profile lists both methods',
    send: (s) => ({ path: `/auth/edit_profile/${s.userId}`, headers: [bearer(s.userToken)] }),
    expect: { status: 405, code: 'ERR_AUTH_METHOD_NOT_ALLOWED', allow: 'POST, PUT' },
  },
  {
    name: 'unknown route under basePath',
    send: () => ({ path: '/auth/nope' }),
    expect: { status: 404, code: 'ERR_AUTH_ROUTE_NOT_FOUND' },
  },
  {
    name: 'basePath itself',
    send: () => ({ path: '/auth' }),
    expect: { status: 404, code: 'ERR_AUTH_ROUTE_NOT_FOUND' },
  },

  // Paths: dot segments resolve as in any URL; encoded ones stay inside the id
  {
    name: "'../' in an id resolves inside basePath (to another user: looks missing)",
    send: (s) => ({ raw: true, path: `/auth/profile/x/../${s.adminId}`, headers: [bearer(s.userToken)] }),
    expect: { status: 404, code: 'ERR_AUTH_USER_NOT_FOUND' },
  },
  {
    name: "'../' reaching another route still meets its method check",
    send: (s) => ({ raw: true, path: '/auth/profile/../email/signin', headers: [bearer(s.userToken)] }),
    expect: { status: 405, code: 'ERR_AUTH_METHOD_NOT_ALLOWED', allow: 'POST' },
  },
  {
    name: "'%2e%2e%2f' in an id is part of the id",
    send: (s) => ({ raw: true, path: '/auth/profile/%2e%2e%2fprofiles', headers: [bearer(s.adminToken)] }),
    expect: { status: 404, code: 'ERR_AUTH_USER_NOT_FOUND' },
  },
  {
    name: "'%2e%2e%2f' in an edit_profile id",
    send: (s) => ({ ...post(`/auth/edit_profile/%2e%2e%2f${s.adminId}`, { name: 'x' }, [bearer(s.userToken)]), raw: true }),
    expect: { status: 404, code: 'ERR_AUTH_USER_NOT_FOUND' },
  },
  {
    name: "'../' that stays inside basePath is still served",
    send: (s) => ({ raw: true, path: `/auth/profile/x/../${s.userId}`, headers: [bearer(s.userToken)] }),
    expect: { status: 200, body: (s) => ({ user: { id: s.userId } }) },
  },
  {
    name: "'%2e%2e' that stays inside basePath is still served",
    send: (s) => ({ raw: true, path: '/auth/%2e%2e/auth/profiles', headers: [bearer(s.adminToken)] }),
    expect: { status: 200, body: () => ({ users: [{ id: String }, { id: String }] }) },
  },

  // Paths: AuthCore answers only when the path as sent and as normalised are both under basePath
  {
    name: "'%2e%2e' entering basePath from outside is the app's",
    send: (s) => ({ raw: true, path: '/public/%2e%2e/auth/profiles', headers: [bearer(s.adminToken)] }),
    expect: { status: 404, passThrough: true },
  },
  {
    name: "'../' entering basePath from outside is the app's",
    send: (s) => ({ raw: true, path: '/public/../auth/profiles', headers: [bearer(s.adminToken)] }),
    expect: { status: 404, passThrough: true },
  },
  {
    name: "mixed-case '.%2E' entering basePath from outside is the app's",
    send: (s) => ({ raw: true, path: '/public/.%2E/auth/profiles', headers: [bearer(s.adminToken)] }),
    expect: { status: 404, passThrough: true },
  },
  {
    // What the app then answers is its business: Hono routes the normalised /health, the others 404.
    name: "'%2e%2e' leaving basePath is the app's",
    send: () => ({ raw: true, path: '/auth/%2e%2e/health' }),
    expect: { passThrough: true },
  },
  {
    // WHATWG reads '\' as '/'; @hono/node-server refuses it (400), the others 404.
    name: "backslash dot segments entering basePath are the app's",
    send: (s) => ({ raw: true, path: '/public\\..\\auth/profiles', headers: [bearer(s.adminToken)] }),
    expect: { passThrough: true },
  },
  {
    name: "a percent-encoded basePath ('/%61uth') is the app's",
    send: (s) => ({ raw: true, path: '/%61uth/profiles', headers: [bearer(s.adminToken)] }),
    expect: { status: 404, passThrough: true },
  },
  {
    name: 'an id that is not valid percent-encoding',
    send: (s) => ({ raw: true, path: '/auth/profile/%E0%A4%A', headers: [bearer(s.userToken)] }),
    expect: { status: 400, code: 'ERR_AUTH_INPUT_INVALID', error: 'Invalid input: the id in the path is not valid' },
  },

  // The Authorization header on a core route
  {
    name: 'Authorization: Bearer repeated',
    send: (s) => ({ path: `/auth/profile/${s.userId}`, headers: [['authorization', `Bearer Bearer ${s.userToken}`]] }),
    expect: { status: 401, code: 'ERR_AUTH_HEADER_INVALID', www: INVALID_TOKEN },
  },
  {
    name: 'Authorization empty',
    send: (s) => ({ path: `/auth/profile/${s.userId}`, headers: [['authorization', '']] }),
    expect: { status: 401, code: 'ERR_AUTH_HEADER_MISSING', www: 'Bearer' },
  },
  {
    name: 'Authorization missing',
    send: (s) => ({ path: `/auth/profile/${s.userId}` }),
    expect: { status: 401, code: 'ERR_AUTH_HEADER_MISSING', www: 'Bearer' },
  },
  {
    name: 'Authorization with the scheme in lower case is accepted',
    send: (s) => ({ path: `/auth/profile/${s.userId}`, headers: [['authorization', `bearer ${s.userToken}`]] }),
    expect: { status: 200, body: (s) => ({ user: { id: s.userId } }) },
  },
  {
    name: 'two Authorization header lines are refused, not picked from',
    send: (s) => ({ raw: true, path: `/auth/profile/${s.userId}`, headers: [bearer(s.userToken), bearer(s.adminToken)] }),
    expect: { status: 401, code: 'ERR_AUTH_HEADER_INVALID', www: INVALID_TOKEN },
  },
  {
    name: 'a token over the size cap',
    send: (s) => ({ path: `/auth/profile/${s.userId}`, headers: [bearer('a'.repeat(9000))] }),
    expect: { status: 401, code: 'ERR_AUTH_TOKEN_TOO_LARGE', www: INVALID_TOKEN },
  },
  {
    name: 'a Basic scheme',
    send: (s) => ({ path: `/auth/profile/${s.userId}`, headers: [['authorization', 'Basic dXNlcjpwYXNz']] }),
    expect: { status: 401, code: 'ERR_AUTH_HEADER_INVALID', www: INVALID_TOKEN },
  },

  // requireAuth on the app's routes
  {
    name: 'guard: no token',
    send: () => ({ path: '/api/me' }),
    expect: { status: 401, code: 'ERR_AUTH_HEADER_MISSING', www: 'Bearer' },
  },
  {
    name: 'guard: a bad token',
    send: () => ({ path: '/api/me', headers: [bearer('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl')] }),
    expect: { status: 401, code: 'ERR_AUTH_TOKEN_SIGNATURE_INVALID', www: INVALID_TOKEN },
  },
  {
    name: 'guard: not a JWT',
    send: () => ({ path: '/api/me', headers: [bearer('not-a-jwt')] }),
    expect: { status: 401, code: 'ERR_AUTH_TOKEN_MALFORMED', www: INVALID_TOKEN },
  },
  {
    name: 'guard: a role not allowed',
    send: (s) => ({ path: '/api/admin', headers: [bearer(s.userToken)] }),
    expect: { status: 403, code: 'ERR_AUTH_FORBIDDEN' },
  },
  {
    name: 'guard: a good token passes with its claims',
    send: (s) => ({ path: '/api/me', headers: [bearer(s.userToken)] }),
    expect: { status: 200, body: (s) => ({ claims: { sub: s.userId, id: s.userId, email: USER.email, role: 'user', exp: Number } }), passThrough: true },
  },
  {
    name: 'guard: the right role passes',
    send: (s) => ({ path: '/api/admin', headers: [bearer(s.adminToken)] }),
    expect: { status: 200, body: (s) => ({ claims: { sub: s.adminId, role: 'admin' } }), passThrough: true },
  },
  {
    name: 'guard: lower-case scheme is accepted',
    send: (s) => ({ path: '/api/me', headers: [['authorization', `bearer ${s.userToken}`]] }),
    expect: { status: 200, body: (s) => ({ claims: { sub: s.userId } }), passThrough: true },
  },
  {
    name: 'guard: two Authorization header lines are refused',
    send: (s) => ({ raw: true, path: '/api/admin', headers: [bearer(s.userToken), bearer(s.adminToken)] }),
    expect: { status: 401, code: 'ERR_AUTH_HEADER_INVALID', www: INVALID_TOKEN },
  },
  {
    name: 'guard: Bearer repeated',
    send: (s) => ({ path: '/api/me', headers: [['authorization', `Bearer Bearer ${s.userToken}`]] }),
    expect: { status: 401, code: 'ERR_AUTH_HEADER_INVALID', www: INVALID_TOKEN },
  },
  {
    name: 'guard: a token over the size cap',
    send: () => ({ path: '/api/me', headers: [bearer('a'.repeat(9000))] }),
    expect: { status: 401, code: 'ERR_AUTH_TOKEN_TOO_LARGE', www: INVALID_TOKEN },
  },

  // Everything else is the app's
  {
    name: 'pass-through: an app route is untouched',
    send: () => ({ path: '/health' }),
    expect: { status: 200, text: 'ok', passThrough: true },
  },
  {
    name: "pass-through: the app's JSON parser still gets its body",
    send: () => post('/api/echo', { hello: 'world' }),
    expect: { status: 200, body: () => ({ echo: { hello: 'world' } }), passThrough: true },
  },
  {
    name: 'pass-through: a path that only starts like basePath is not served',
    send: () => ({ path: '/authentication' }),
    expect: { status: 404, passThrough: true },
  },
]

/** Sends with fetch, or with node:http when the case needs the bytes exactly as written. */
async function send(base: string, req: Send): Promise<Reply> {
  const method = req.method ?? 'GET'
  if (!req.raw) {
    const res = await fetch(base + req.path, { method, headers: req.headers ?? [], body: req.body ?? null })
    return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() }
  }
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    // Header pairs as an array keep repeated lines, but then Node adds no Host of its own.
    const headers = [['host', `${hostname}:${port}`], ...(req.headers ?? [])].flat()
    const raw = httpRequest({ hostname, port, method, path: req.path, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      res.on('end', () => {
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(res.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : String(value)
        resolve({ status: res.statusCode!, headers, text })
      })
    })
    raw.on('error', reject)
    raw.end(req.body)
  })
}

/** What no error body may contain: stack frames, driver or library internals, or any token. */
function checkNoLeak(t: Test, text: string, secrets: string[]): void {
  t.notMatch(text, /\bat .+:\d+:\d+|node_modules|sqlite|SQLITE_|TypeError|ReferenceError|\bstack\b/i, 'no stack or internals in the body')
  for (const secret of secrets) if (secret.length >= 16) t.notOk(text.includes(secret), 'no token in the body')
}

function checkReply(t: Test, reply: Reply, expect: Expect, s: State, req: Send): unknown {
  if (expect.status === undefined) t.ok(reply.status < 500, `status ${reply.status} is not a server error`)
  else t.equal(reply.status, expect.status, 'status')
  const h = reply.headers
  if (expect.passThrough || expect.text !== undefined) {
    t.not(h['cache-control'], 'no-store', "not the core's answer")
    t.notMatch(reply.text, /ERR_AUTH_/, "not the core's answer")
    if (reply.status >= 400) checkNoLeak(t, reply.text, [s.userToken, s.adminToken])
  } else {
    t.equal(h['content-type'], 'application/json; charset=utf-8', 'content-type')
    t.equal(h['cache-control'], 'no-store', 'cache-control')
    t.equal(h['x-content-type-options'], 'nosniff', 'x-content-type-options')
  }
  if (reply.status === 401) t.equal(h['www-authenticate'], expect.www, 'www-authenticate')
  else t.equal(h['www-authenticate'], undefined, 'no www-authenticate')
  if (reply.status === 405) t.equal(h['allow'], expect.allow, 'allow')
  if (expect.text !== undefined) {
    t.equal(reply.text, expect.text, 'body')
    return undefined
  }
  if (expect.code) {
    const body = JSON.parse(reply.text) as unknown
    t.same(body, { error: expect.error ?? errorCodeInfo(expect.code)!.message, code: expect.code }, 'exactly { error, code }')
    const sent = (req.headers ?? []).filter(([name]) => name === 'authorization').map(([, v]) => v.replace(/^bearer\s+/i, ''))
    checkNoLeak(t, reply.text, [s.userToken, s.adminToken, ...sent].filter(Boolean))
    return body
  }
  if (expect.body) {
    const body = JSON.parse(reply.text) as Record<string, unknown>
    t.match(body, expect.body(s), 'body')
    for (const user of [body.user, ...((body.users as unknown[] | undefined) ?? [])].filter(Boolean)) {
      t.same(Object.keys(user as object).sort(), PUBLIC_USER_KEYS, 'a user carries no pass or hash')
    }
    return body
  }
  return undefined
}

/** A request body stream that produces `total` bytes in 64 KiB chunks, `delayMs` apart, counting what was pulled. */
function slowBody(total: number, delayMs: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(64 * 1024).fill(0x20)
  let sent = 0
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= total) return controller.close()
      if (sent > 0) await new Promise((r) => setTimeout(r, delayMs))
      sent += chunk.byteLength
      controller.enqueue(chunk)
    },
  })
  return { stream, pulled: () => sent }
}

/** An AuthCore wrapper that records the context each request reached the core with. */
function recording(auth: AuthCore): { auth: AdapterAuth; seen: RequestContext[] } {
  const seen: RequestContext[] = []
  return {
    seen,
    auth: {
      get basePath() {
        return auth.basePath
      },
      authenticate: (header) => auth.authenticate(header),
      handle: (request, context) => {
        seen.push({ ...context })
        return auth.handle(request, context)
      },
    },
  }
}

async function started(t: Test, start: StartApp, auth: AdapterAuth, options: ServeOptions): Promise<RunningApp> {
  const app = await start(auth, options)
  t.teardown(() => app.close())
  return app
}

/** The name of a shared case. */
export type CaseName = (typeof cases)[number]['name']

/**
 * A case a framework answers itself before the adapter sees the request,
 * with what it answers instead and why. Kept to the few a framework makes
 * unavoidable, and listed in docs/adapters.md.
 */
export interface Deviation {
  why: string
  expect: Expect
}

/**
 * Runs every case against the app `start` builds, then the checks no table
 * row can express: streaming a large body, client addresses and trustProxy.
 */
export async function runHttpCases(t: Test, start: StartApp, deviations: Record<string, Deviation> = {}): Promise<void> {
  for (const name of Object.keys(deviations)) {
    if (!cases.some((c) => c.name === name)) throw new Error(`no shared case is named '${name}'`)
  }
  const auth = await makeAuth(t)
  const admin = await auth.createUser(ADMIN)
  const state: State = { userToken: '', userId: '', adminToken: '', adminId: admin.id }
  const { auth: recorded, seen } = recording(auth)
  const app = await started(t, start, recorded, {})

  for (const c of cases) {
    const deviation = deviations[c.name]
    await t.test(deviation ? `${c.name} (answered by the framework: ${deviation.why})` : c.name, async (t) => {
      const req = c.send(state)
      const reply = await send(app.url, req)
      const body = checkReply(t, reply, deviation?.expect ?? c.expect, state, req)
      c.then?.(body, state, t)
    })
  }

  await t.test('a 1 MB body streamed without a length is refused as it arrives, not buffered', async (t) => {
    const body = slowBody(1024 * 1024, 20)
    const started = Date.now()
    const init: RequestInit & { duplex: 'half' } = { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.stream, duplex: 'half' }
    const res = await fetch(`${app.url}/auth/email/signin`, init)
    const pulled = body.pulled()
    t.equal(res.status, 413)
    t.same(await res.json(), { error: ERROR_CODES.ERR_AUTH_BODY_TOO_LARGE.message, code: 'ERR_AUTH_BODY_TOO_LARGE' })
    // 16 chunks 20 ms apart take 300 ms to send: answering sooner means the server stopped at the cap.
    t.ok(pulled < 1024 * 1024, `answered after ${pulled} of ${1024 * 1024} bytes were sent`)
    t.ok(Date.now() - started < 5000, 'answered quickly')
    const after = await fetch(`${app.url}/health`)
    t.equal(await after.text(), 'ok', 'the server still answers')
  })

  await t.test('the declared 1 MB body leaves the server able to answer on', async (t) => {
    const replies = await Promise.all(
      [1, 2, 3].map(() => send(app.url, { method: 'POST', path: '/auth/email/signin', headers: [['content-type', 'application/json']], body: 'x'.repeat(1024 * 1024) })),
    )
    t.same(replies.map((r) => r.status), [413, 413, 413])
    t.equal((await send(app.url, { path: '/health' })).text, 'ok')
  })

  await t.test('the client address is the socket peer; X-Forwarded-For is ignored by default', async (t) => {
    seen.length = 0
    await send(app.url, { path: '/auth/nope', headers: [['x-forwarded-for', '203.0.113.7']] })
    t.same(seen, [{ clientAddress: '127.0.0.1' }])
  })

  await t.test('trustProxy: a trusted peer reports the client address', async (t) => {
    const proxied = recording(auth)
    // Our proxies: the peer, and one more hop in front of it.
    const app = await started(t, start, proxied.auth, { trustProxy: (address) => address === '127.0.0.1' || address === '10.0.0.1' })
    await send(app.url, { path: '/auth/nope', headers: [['x-forwarded-for', '203.0.113.7, 10.0.0.1']] })
    // Whatever the client put in front of the real hops is ignored: read from the right.
    await send(app.url, { path: '/auth/nope', headers: [['x-forwarded-for', '6.6.6.6, 203.0.113.8']] })
    await send(app.url, { path: '/auth/nope', headers: [['x-forwarded-for', 'not an address']] })
    await send(app.url, { path: '/auth/nope' })
    t.same(proxied.seen, [
      { clientAddress: '203.0.113.7' }, { clientAddress: '203.0.113.8' }, { clientAddress: '127.0.0.1' }, { clientAddress: '127.0.0.1' },
    ])
  })

  await t.test('trustProxy: an X-Forwarded-For entry with a port names the client without it', async (t) => {
    const proxied = recording(auth)
    const app = await started(t, start, proxied.auth, { trustProxy: true })
    // [entry, the client address the core must see]; the peer (127.0.0.1) when the entry is refused.
    const entries: [string, string][] = [
      ['203.0.113.7:5555', '203.0.113.7'],
      ['[2001:db8::1]:443', '2001:db8::1'],
      ['[2001:db8::1]', '2001:db8::1'],
      ['::1', '::1'],
      // Two clients behind a port-appending proxy: two rate-limit buckets, not the proxy's one.
      ['198.51.100.1:1111', '198.51.100.1'],
      ['198.51.100.2:2222', '198.51.100.2'],
      ['1.2.3.4:99999', '127.0.0.1'],
      ['1.2.3.4:', '127.0.0.1'],
      ['1.2.3.4:0', '127.0.0.1'],
      ['1.2.3.4:+80', '127.0.0.1'],
      ['[2001:db8::1]:', '127.0.0.1'],
      ['[1.2.3.4]:80', '127.0.0.1'],
      ['example.com:80', '127.0.0.1'],
    ]
    for (const [entry] of entries) await send(app.url, { path: '/auth/nope', headers: [['x-forwarded-for', entry]] })
    t.same(proxied.seen.map((c) => c.clientAddress), entries.map(([, address]) => address))

    // A trusted hop with a port is recognised by its address and skipped.
    const chained = recording(auth)
    const behind = await started(t, start, chained.auth, { trustProxy: (address) => address === '127.0.0.1' || address === '10.0.0.1' })
    await send(behind.url, { path: '/auth/nope', headers: [['x-forwarded-for', '203.0.113.9:4444, 10.0.0.1:8080']] })
    t.same(chained.seen, [{ clientAddress: '203.0.113.9' }])
  })

  await t.test('trustProxy: an untrusted peer cannot', async (t) => {
    const proxied = recording(auth)
    const app = await started(t, start, proxied.auth, { trustProxy: () => false })
    await send(app.url, { path: '/auth/nope', headers: [['x-forwarded-for', '203.0.113.7']] })
    t.same(proxied.seen, [{ clientAddress: '127.0.0.1' }])
  })
}

/** The JSON an app route answers with the guard's claims. */
export function claimsBody(claims: AccessClaims | undefined): string {
  return JSON.stringify({ claims })
}
