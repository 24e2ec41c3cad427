import t from 'tap'
import { authorize } from '../plugins/adapters/guard.js'
import { makeAuth } from './helpers/auth.js'

const pass = 'a long enough passphrase'

t.test('a role guard sees a demotion or a disable at once', async (t) => {
  const auth = await makeAuth(t)
  await auth.createUser({ email: 'root@example.com', name: 'Root', pass, role: 'admin' })
  await auth.createUser({ email: 'eve@example.com', name: 'Eve', pass, role: 'admin' })
  const root = await auth.verify((await auth.signIn({ email: 'root@example.com', pass })).token)
  const eveToken = (await auth.signIn({ email: 'eve@example.com', pass })).token
  const header = `Bearer ${eveToken}`
  t.equal((await authorize(auth, header, { roles: ['admin'] })).role, 'admin', 'an admin passes')
  const eve = await auth.verify(eveToken)
  await auth.setRole(eve.sub, 'user', { as: root })
  await t.rejects(authorize(auth, header, { roles: ['admin'] }), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'the old admin token is refused at once')
  await t.rejects(authorize(auth, header, {}), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'by every guard, roles or not')
  t.ok(await authorize(auth, header, { roles: ['admin'], strict: false }), 'strict: false trusts the token alone (documented)')
  const fresh = `Bearer ${(await auth.signIn({ email: 'eve@example.com', pass })).token}`
  await t.rejects(authorize(auth, fresh, { roles: ['admin'] }), { code: 'ERR_AUTH_FORBIDDEN' }, 'a new token carries the new role')
  await auth.setDisabled(eve.sub, true, { as: root })
  await t.rejects(authorize(auth, fresh, {}), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'disabled: refused at once')
})
