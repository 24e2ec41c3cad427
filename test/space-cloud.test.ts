// An unchanged Space Cloud client against AuthCore configured with Space
// Cloud's route layout, over an adopted Space Cloud users table (bcrypt
// hashes in `pass`): the requests the old client sends, the responses it reads.
import Database from 'better-sqlite3'
import { hash as bcryptHash } from '@node-rs/bcrypt'
import { SignJWT } from 'jose'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { AuthCore } from '../lib/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { newSecret } from './helpers/keys.js'

const BASE = 'http://localhost/v1/api/todo-app/auth/mydb'

t.test('the Space Cloud route layout and request shapes work unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authcore-sc-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'space-cloud.db')
  // The table Space Cloud's user management created, with one of its users.
  const legacy = new Database(file)
  legacy.exec('create table users (id text primary key, email text, name text, pass text, role text)')
  legacy.prepare('insert into users values (?, ?, ?, ?, ?)').run('sc-user-1', 'old@example.com', 'Old Timer', await bcryptHash('old password 123', 4), 'user')
  legacy.close()

  const secret = newSecret()
  const auth = new AuthCore({ secret, basePath: '/v1/api/todo-app/auth/mydb', storage: sqliteStorage({ filename: file }) })
  t.teardown(() => auth.close())
  // Exactly what the old client sends: JSON with Content-Type, Bearer tokens.
  const send = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await auth.handle(
      new Request(`${BASE}${path}`, {
        method,
        headers: {
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
          ...(token && { Authorization: `Bearer ${token}` }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      }),
    )
    return { status: response.status, body: (await response.json()) as Record<string, any> }
  }

  const signup = await send('POST', '/email/signup', { email: 'new@example.com', name: 'Newcomer', pass: 'fresh password 456', role: 'user' })
  t.equal(signup.status, 200)
  t.match(signup.body, { user: { id: String, email: 'new@example.com', name: 'Newcomer', role: 'user' }, token: String })
  t.notOk('pass' in signup.body.user, 'pass is never returned')

  const escalate = await send('POST', '/email/signup', { email: 'evil@example.com', name: 'Evil', pass: 'fresh password 456', role: 'admin' })
  t.equal(escalate.status, 403, "Space Cloud's defect fixed: the client cannot pick admin")
  t.match(escalate.body, { error: String, code: 'ERR_AUTH_ROLE_NOT_ALLOWED' })

  const signin = await send('POST', '/email/signin', { email: 'old@example.com', pass: 'old password 123' })
  t.equal(signin.status, 200, 'an adopted user signs in with their bcrypt-era password')
  t.match(signin.body, { user: { id: 'sc-user-1', email: 'old@example.com', name: 'Old Timer', role: 'user' }, token: String })

  const profile = await send('GET', '/profile/sc-user-1', undefined, signin.body.token)
  t.equal(profile.status, 200)
  t.match(profile.body, { user: { id: 'sc-user-1', email: 'old@example.com' } })

  const edit = await send('POST', '/edit_profile/sc-user-1', { update: { $set: { email: '', name: 'Old Timer II', pass: '' } } }, signin.body.token)
  t.equal(edit.status, 200, 'the {update: {$set}} edit shape, empty strings meaning unchanged')
  t.match(edit.body, { user: { id: 'sc-user-1', name: 'Old Timer II', email: 'old@example.com' }, token: String })

  const denied = await send('GET', '/profiles', undefined, signin.body.token)
  t.equal(denied.status, 403, 'listing needs an admin')

  // An admin's token minted by another service sharing the secret, the way
  // Space Cloud's own module wrote them: HS256, id/email/role, exp, no typ.
  await auth.createUser({ email: 'admin@example.com', name: 'Admin', pass: 'admin password 789', role: 'admin' })
  const { user: admin } = await auth.signIn({ email: 'admin@example.com', pass: 'admin password 789' })
  const external = await new SignJWT({ id: admin.id, email: admin.email, role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(secret))
  const list = await send('GET', '/profiles', undefined, external)
  t.equal(list.status, 200)
  t.equal(list.body.users.length, 3)
  for (const u of list.body.users) t.notOk('pass' in u)

  const errorShape = await send('POST', '/email/signin', { email: 'old@example.com', pass: 'nope nope nope' })
  t.same(Object.keys(errorShape.body).sort(), ['code', 'error'], 'errors are {error} as before, plus a code')
})
