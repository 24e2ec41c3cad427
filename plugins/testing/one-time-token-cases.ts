/** Conformance (one-time tokens): create, find, consume, expiry and purposes. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { withPlugin } from './kit-helpers.js'
import { newSecret, newToken, plainToken, PURPOSE, storeOf } from './record-helpers.js'
import { HOSTILE_STRINGS } from './string-cases.js'

/** Registers the basic one-time-token subtests. */
export function oneTimeTokenCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('createToken returns the record; findToken reads it; only the hash given is kept', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const { secret, hash } = newSecret()
    const input = newToken('user-1', now, { secretHash: hash })
    const created = await tokens.createToken(input)
    t.same(plainToken(created), plainToken(input), 'fields as given, consumedAt null')
    const found = await tokens.findToken(PURPOSE, hash, now)
    t.same(plainToken(found), plainToken(input), 'findToken by the hash returns the same record')
    t.equal(found?.secretHash, hash, 'the record holds exactly the hash passed (not re-hashed, not the secret)')
    t.equal(await tokens.findToken(PURPOSE, secret, now), undefined, 'the secret itself finds nothing')
    t.equal(await tokens.findToken(PURPOSE, hash.toUpperCase(), now), undefined, 'hashes compare exactly (case-sensitive)')
    t.equal(await tokens.findToken(PURPOSE, newSecret().hash, now), undefined, 'an unknown hash: undefined')
    t.same(plainToken(await tokens.findToken(PURPOSE, hash, now)), plainToken(input), 'finding does not consume')
    const anonymous = await tokens.createToken(newToken(null, now, { payload: null }))
    t.same([anonymous.userId, anonymous.payload], [null, null], 'userId and payload may be null')
    t.same(plainToken(await tokens.findToken(PURPOSE, anonymous.secretHash, now)), plainToken(anonymous), 'and read back as null')
  }))

  t.test('consumeToken succeeds once, answering the row with consumedAt; then nothing finds or consumes it', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const input = newToken('user-1', now, { payload: { step: 1, nested: { ok: true } } })
    await tokens.createToken(input)
    const at = new Date(now.getTime() + 1000)
    const consumed = await tokens.consumeToken(PURPOSE, input.secretHash, at)
    t.same(plainToken(consumed), { ...(plainToken(input) as object), consumedAt: at.getTime() }, 'the row as it was, with consumedAt = now')
    t.equal(await tokens.consumeToken(PURPOSE, input.secretHash, at), undefined, 'a second consume: undefined')
    t.equal(await tokens.consumeToken(PURPOSE, input.secretHash, new Date(at.getTime() + 1)), undefined, 'and later: undefined')
    t.equal(await tokens.findToken(PURPOSE, input.secretHash, at), undefined, 'a consumed token is not found')
    t.equal(await tokens.consumeToken(PURPOSE, newSecret().hash, at), undefined, 'an unknown hash: undefined')
  }))

  t.test('a token expires at expiresAt: at that instant it is neither found nor consumed', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const expiresAt = new Date(now.getTime() + 60_000)
    const input = newToken('user-1', now, { expiresAt })
    await tokens.createToken(input)
    const before = new Date(expiresAt.getTime() - 1)
    t.ok(await tokens.findToken(PURPOSE, input.secretHash, before), 'found 1 ms before expiresAt')
    t.equal(await tokens.findToken(PURPOSE, input.secretHash, expiresAt), undefined, 'not found at expiresAt')
    t.equal(await tokens.consumeToken(PURPOSE, input.secretHash, expiresAt), undefined, 'not consumed at expiresAt')
    t.equal(await tokens.consumeToken(PURPOSE, input.secretHash, new Date(expiresAt.getTime() + 1)), undefined, 'nor after')
    t.equal((await tokens.consumeToken(PURPOSE, input.secretHash, before))?.id, input.id, 'the refused consumes changed nothing: it still consumes before expiry')
  }))

  t.test('purposes never cross: a token is found and consumed only under its own purpose', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const input = newToken('user-1', now, { purpose: 'kit:verify' })
    await tokens.createToken(input)
    for (const other of [PURPOSE, 'kit:Verify', 'kit:verify ', 'kit:']) {
      t.equal(await tokens.findToken(other, input.secretHash, now), undefined, `not found under ${JSON.stringify(other)}`)
      t.equal(await tokens.consumeToken(other, input.secretHash, now), undefined, `not consumed under ${JSON.stringify(other)}`)
    }
    t.equal((await tokens.consumeToken('kit:verify', input.secretHash, now))?.id, input.id, 'still consumable under its own purpose')
  }))

  t.test('hostile and unicode strings in purpose, user id and payload round-trip', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    for (const [i, s] of HOSTILE_STRINGS.entries()) {
      const purpose = `${Array.from(s).slice(0, 20).join('')}#${i}`
      const input = newToken(`${s}#${i}`, now, { purpose, payload: { s, [s]: i } })
      await tokens.createToken(input)
      t.same(plainToken(await tokens.consumeToken(purpose, input.secretHash, now)), { ...(plainToken(input) as object), consumedAt: now.getTime() },
        `#${i} stored literally`)
    }
  }))
}
