import { readFileSync } from 'node:fs'
import t from 'tap'
import { AuthError, ERROR_CODES, isAuthError } from '../lib/index.js'

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
const core = doc.slice(0, doc.indexOf('## Codes of the shipped plugins'))
const rows = [...core.matchAll(/^\| `(ERR_AUTH_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const)
const pluginRows = new Map([...doc.slice(core.length).matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const))

t.test('docs/errors.md documents every registry code, with its status, and nothing else', async (t) => {
  const documented = new Map(rows)
  t.equal(documented.size, rows.length, 'no code documented twice')
  t.same([...documented.keys()].sort(), Object.keys(ERROR_CODES).sort())
  for (const [code, { status }] of Object.entries(ERROR_CODES)) t.equal(documented.get(code), status, `${code} status`)
})

t.test('AuthError carries code, status, cause and details', async (t) => {
  const cause = new Error('driver said no')
  const err = new AuthError('ERR_AUTH_STORAGE_UNAVAILABLE', undefined, { cause, details: { retry: true } })
  t.equal(err.code, 'ERR_AUTH_STORAGE_UNAVAILABLE')
  t.equal(err.status, 503)
  t.equal(err.cause, cause)
  t.same(err.details, { retry: true })
  t.equal(err.message, ERROR_CODES.ERR_AUTH_STORAGE_UNAVAILABLE.message)
  t.equal(err.name, 'AuthError')
  t.ok(err instanceof Error)
  t.ok(isAuthError(err))
  t.ok(isAuthError(err, 'ERR_AUTH_STORAGE_UNAVAILABLE'))
  t.notOk(isAuthError(err, 'ERR_AUTH_USER_EXISTS'))
  t.notOk(isAuthError(cause))
  t.notOk(isAuthError({ code: 'ERR_AUTH_USER_EXISTS' }), 'a look-alike object is not an AuthError')
})

t.test('plugin codes: each has a status and a docs description, and joins the one registry', async (t) => {
  const { invitesPlugin } = await import('../examples/plugin/invites.js')
  const { AuthCore, errorCodeInfo } = await import('../lib/index.js')
  const plugin = invitesPlugin()
  new AuthCore({ secret: 'x'.repeat(32), plugins: [plugin] })
  for (const [code, declared] of Object.entries(plugin.errors ?? {})) {
    const info = errorCodeInfo(code)
    t.same(info, { ...declared, owner: 'invites' }, `${code} registered as declared`)
    t.ok(info!.description!.length > 20, `${code} has a docs description`)
  }
})

t.test("docs/errors.md documents every code the shipped plugins declare, with its status", async (t) => {
  const { accountEmail } = await import('../plugins/email/index.js')
  const { emailLink } = await import('../plugins/methods/email-link/index.js')
  const { oauthFlow } = await import('../plugins/oauth/index.js')
  const declared = [...Object.entries(accountEmail().errors ?? {}), ...Object.entries(emailLink().errors ?? {}), ...Object.entries(oauthFlow([]).errors ?? {})]
  t.ok(declared.length > 0)
  for (const [code, { status }] of declared) t.equal(pluginRows.get(code), status, `${code} documented with status ${status}`)
  t.equal(pluginRows.size, declared.length, 'and no code that no shipped plugin declares')
})
