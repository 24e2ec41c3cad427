/** Conformance (one-time tokens): create, find, lookup, consume, expiry and purposes. */
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
    t.same(plainToken(created), plainToken(input), 'fields as given, consumedAt null, revoked false')
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
    t.same(plainToken(consumed), { ...(plainToken(input) as object), consumedAt: at.getTime() }, 'the row as it was, with consumedAt = now, revoked false')
    t.equal(await tokens.consumeToken(PURPOSE, input.secretHash, at), undefined, 'a second consume: undefined')
    t.equal(await tokens.consumeToken(PURPOSE, input.secretHash, new Date(at.getTime() + 1)), undefined, 'and later: undefined')
    t.equal(await tokens.findToken(PURPOSE, input.secretHash, at), undefined, 'a consumed token is not found')
    t.equal(await tokens.consumeToken(PURPOSE, newSecret().hash, at), undefined, 'an unknown hash: undefined')
  }))

  t.test('lookupToken answers the token in any state, read-only: usable, consumed, expired; unknown is undefined', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const { secret, hash } = newSecret()
    const input = newToken('user-1', now, { secretHash: hash, payload: { step: 1 } })
    await tokens.createToken(input)
    t.same(plainToken(await tokens.lookupToken(PURPOSE, hash)), plainToken(input), 'usable: the record as created, consumedAt null, revoked false')
    t.same(plainToken(await tokens.lookupToken(PURPOSE, hash)), plainToken(input), 'looking up again: the same (a lookup changes nothing)')
    t.same(plainToken(await tokens.findToken(PURPOSE, hash, now)), plainToken(input), 'and the token is still usable')
    t.equal(await tokens.lookupToken(PURPOSE, secret), undefined, 'the secret itself finds nothing')
    t.equal(await tokens.lookupToken(PURPOSE, hash.toUpperCase()), undefined, 'hashes compare exactly (case-sensitive)')
    t.equal(await tokens.lookupToken(PURPOSE, newSecret().hash), undefined, 'an unknown hash: undefined')

    const at = new Date(now.getTime() + 1000)
    t.ok(await tokens.consumeToken(PURPOSE, hash, at), 'consumed')
    const consumed = await tokens.lookupToken(PURPOSE, hash)
    t.same(plainToken(consumed), { ...(plainToken(input) as object), consumedAt: at.getTime() }, 'consumed: every field kept, consumedAt = the consume time')
    t.equal(consumed?.revoked, false, 'consumed, not revoked')
    t.equal(await tokens.findToken(PURPOSE, hash, at), undefined, 'findToken still finds nothing: lookupToken is the only way to it')

    const expiresAt = new Date(now.getTime() - 1)
    const expired = newToken('user-1', new Date(now.getTime() - 60_000), { expiresAt })
    await tokens.createToken(expired)
    const found = await tokens.lookupToken(PURPOSE, expired.secretHash)
    t.same(plainToken(found), plainToken(expired), 'expired (and never used): found with every field, consumedAt null, revoked false')
    t.equal(found?.expiresAt.getTime(), expiresAt.getTime(), 'with its expiresAt, so the caller can tell it expired')
    t.equal(await tokens.findToken(PURPOSE, expired.secretHash, now), undefined, 'while findToken does not find it')
    t.equal(await tokens.deleteExpiredTokens(now), 1, 'the purge deletes it')
    t.equal(await tokens.lookupToken(PURPOSE, expired.secretHash), undefined, 'a purged token: undefined')
    t.ok(await tokens.lookupToken(PURPOSE, hash), 'the consumed one (at +1 s) is kept until then')
  }))

  t.test('lookupToken never crosses purposes', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const input = newToken('user-1', now, { purpose: 'kit:verify' })
    await tokens.createToken(input)
    const spent = newToken('user-1', now, { purpose: 'kit:verify' })
    await tokens.createToken(spent)
    await tokens.consumeToken('kit:verify', spent.secretHash, now)
    for (const other of [PURPOSE, 'kit:Verify', 'kit:verify ', 'kit:']) {
      t.equal(await tokens.lookupToken(other, input.secretHash), undefined, `a usable token is not looked up under ${JSON.stringify(other)}`)
      t.equal(await tokens.lookupToken(other, spent.secretHash), undefined, `nor a consumed one under ${JSON.stringify(other)}`)
    }
    t.same(plainToken(await tokens.lookupToken('kit:verify', input.secretHash)), plainToken(input), 'under its own purpose it is')
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
