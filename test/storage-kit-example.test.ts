// The reference storage plugin (examples/storage-memory): the whole kit
// under tap, the example's own test under node:test (so the kit's node:test
// adapter is exercised as an author would use it), and AuthCore on it, with
// and without sessions. test/storage-kit-mutations.test.ts plants mistakes in it.
import { execFile } from 'node:child_process'
import t from 'tap'
import { AuthCore, type StoragePlugin } from '../lib/index.js'
import { runStorageConformance } from '../plugins/testing/index.js'
import { memoryKitOptions } from '../examples/storage-memory/kit-options.js'
import { memoryStorage } from '../examples/storage-memory/memory-storage.js'

runStorageConformance(t, { ...memoryKitOptions(), name: 'memory reference' })

t.test("the example's node:test file passes, with nothing skipped", async (t) => {
  const file = 'examples/storage-memory/memory-storage.test.ts'
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(process.execPath, ['--import=tsx', '--test', '--test-reporter=tap', file], { cwd: new URL('..', import.meta.url) },
      (error, stdout) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout }))
  })
  t.equal(code, 0, `node --test ${file} exits 0`)
  t.match(stdout, /^# pass [1-9]\d+$/m, 'its subtests pass')
  t.match(stdout, /^# fail 0$/m, 'none fails')
  t.match(stdout, /^# skipped 0$/m, 'none is skipped')
})

const secret = 'a-test-secret-of-at-least-32-bytes!'
const newcomer = { email: 'ada@example.com', name: 'Ada', pass: 'correct horse battery staple' }

t.test('AuthCore runs on it: sign-up, refresh, revokeSessions', async (t) => {
  const auth = new AuthCore({ secret, storage: memoryStorage() })
  t.teardown(() => auth.close())
  await auth.ready()
  const { user, token, refreshToken } = await auth.signUp(newcomer)
  const pair = await auth.refresh(refreshToken!)
  await auth.revokeSessions(user.id, { as: await auth.verify(token) })
  await t.rejects(auth.refresh(pair.refreshToken), { code: 'ERR_AUTH_SESSION_REVOKED' }, 'the refreshed session was revoked')
})

t.test('without sessions: no refresh token, and revokeSessions is ERR_AUTH_STORAGE_INCOMPLETE, changing nothing', async (t) => {
  const { sessions: _sessions, ...withoutSessions }: StoragePlugin = memoryStorage()
  const auth = new AuthCore({ secret, storage: withoutSessions })
  t.teardown(() => auth.close())
  await auth.ready()
  const { user, token, refreshToken } = await auth.signUp(newcomer)
  t.equal(refreshToken, undefined, 'sign-up answers no refresh token')
  const claims = await auth.verify(token)
  await t.rejects(auth.revokeSessions(user.id, { as: claims }), { code: 'ERR_AUTH_STORAGE_INCOMPLETE' }, 'revokeSessions is refused')
  t.equal((await withoutSessions.findUserById(user.id))?.tokenVersion, 0, 'the token version did not move')
  t.equal((await auth.profile(user.id, { as: claims })).id, user.id, 'the access token still works')
})
