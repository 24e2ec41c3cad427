/** Conformance (one-time tokens): revocation, clean-up, duplicates, concurrent consumes and transactions. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { describe, newUser, rejectsWith, withPlugin } from './kit-helpers.js'
import { inFailedTransaction, newToken, plainToken, PURPOSE, storeOf, tokenState } from './record-helpers.js'

const RACERS = 50
const CREATORS = 20

/** Registers the revocation and concurrency subtests. */
export function oneTimeTokenRevocationCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test("createToken with revokeOthers voids the user's other usable tokens of that purpose only", (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const older = [await tokens.createToken(newToken('u1', now)), await tokens.createToken(newToken('u1', now))]
    const otherPurpose = await tokens.createToken(newToken('u1', now, { purpose: 'kit:verify' }))
    const otherUser = await tokens.createToken(newToken('u2', now))
    const anonymous = await tokens.createToken(newToken(null, now))
    const plain = await tokens.createToken(newToken('u1', now))
    t.ok(await tokens.findToken(PURPOSE, plain.secretHash, now), 'without revokeOthers the older tokens stay usable')
    const later = new Date(now.getTime() + 1000)
    const fresh = await tokens.createToken(newToken('u1', later), { revokeOthers: true })
    for (const old of [...older, plain]) t.equal(await tokens.findToken(PURPOSE, old.secretHash, later), undefined, "an older token of the user and purpose is void")
    t.equal(await tokens.consumeToken(PURPOSE, older[0]!.secretHash, later), undefined, 'and cannot be consumed')
    t.ok(await tokens.findToken('kit:verify', otherPurpose.secretHash, later), 'a token of another purpose stays')
    t.ok(await tokens.findToken(PURPOSE, otherUser.secretHash, later), "another user's token stays")
    t.ok(await tokens.findToken(PURPOSE, anonymous.secretHash, later), 'a token without a user stays')
    t.equal(fresh.revoked, false, 'the new token is not revoked')
    for (const old of [...older, plain]) {
      t.same(tokenState(await tokens.lookupToken(PURPOSE, old.secretHash)), { consumedAt: later.getTime(), revoked: true },
        "lookupToken: a voided token reads as revoked, at the new token's createdAt")
    }
    for (const [token, purpose] of [[otherPurpose, 'kit:verify'], [otherUser, PURPOSE], [anonymous, PURPOSE], [fresh, PURPOSE]] as const) {
      t.same(tokenState(await tokens.lookupToken(purpose, token.secretHash)), { consumedAt: null, revoked: false },
        `lookupToken: a token left alone (${token.userId ?? 'no user'}, ${purpose}) is neither consumed nor revoked`)
    }
    t.equal((await tokens.consumeToken(PURPOSE, fresh.secretHash, later))?.id, fresh.id, 'the new token is usable')
    t.same(tokenState(await tokens.lookupToken(PURPOSE, fresh.secretHash)), { consumedAt: later.getTime(), revoked: false }, 'and once consumed, consumed, not revoked')
  }))

  t.test('revokeOthers leaves spent and expired tokens as they were', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const spent = await tokens.createToken(newToken('u1', now))
    await tokens.consumeToken(PURPOSE, spent.secretHash, now)
    const expired = await tokens.createToken(newToken('u1', new Date(now.getTime() - 60_000), { expiresAt: new Date(now.getTime() - 1) }))
    const later = new Date(now.getTime() + 1000)
    await tokens.createToken(newToken('u1', later), { revokeOthers: true })
    t.same(tokenState(await tokens.lookupToken(PURPOSE, spent.secretHash)), { consumedAt: now.getTime(), revoked: false },
      'a consumed token stays consumed at its own time, not revoked')
    t.same(tokenState(await tokens.lookupToken(PURPOSE, expired.secretHash)), { consumedAt: null, revoked: false },
      'an expired token is not revoked')
  }))

  t.test(`${CREATORS} concurrent createToken with revokeOthers for one user all succeed and leave one usable; the next one is then the only usable one`, (t) =>
    withPlugin(options, async (plugin) => {
      const tokens = storeOf(t, plugin, 'oneTimeTokens')
      const now = new Date()
      const results = await Promise.allSettled(Array.from({ length: CREATORS }, () => tokens.createToken(newToken('burst', now), { revokeOthers: true })))
      t.same(results.filter((r) => r.status === 'rejected').map((r) => describe((r as PromiseRejectedResult).reason)), [],
        'no create failed (a deadlock between them is the plugin\'s to resolve)')
      t.equal(await tokens.revokeTokens(PURPOSE, 'burst', now), 1,
        'exactly one of the concurrent creates is left usable (each revoked the others: serialise them per purpose and user)')
      const last = await tokens.createToken(newToken('burst', now), { revokeOthers: true })
      t.ok(await tokens.findToken(PURPOSE, last.secretHash, now), 'the next create with revokeOthers is usable')
      t.equal(await tokens.revokeTokens(PURPOSE, 'burst', now), 1, 'and the only usable one')
    }))

  t.test('revokeTokens marks the usable tokens of one purpose and user consumed and revoked, and counts them', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const mine = [await tokens.createToken(newToken('u1', now)), await tokens.createToken(newToken('u1', now))]
    const spent = await tokens.createToken(newToken('u1', now))
    await tokens.consumeToken(PURPOSE, spent.secretHash, now)
    await tokens.createToken(newToken('u1', new Date(now.getTime() - 7_200_000)))
    const otherPurpose = await tokens.createToken(newToken('u1', now, { purpose: 'kit:verify' }))
    const otherUser = await tokens.createToken(newToken('u2', now))
    const expired = await tokens.createToken(newToken('u1', new Date(now.getTime() - 60_000), { expiresAt: now }))
    const at = new Date(now.getTime() + 500)
    t.equal(await tokens.revokeTokens(PURPOSE, 'u1', at), 2, 'two usable tokens (not the consumed or expired ones)')
    for (const token of mine) {
      t.same(tokenState(await tokens.lookupToken(PURPOSE, token.secretHash)), { consumedAt: at.getTime(), revoked: true },
        'lookupToken: a revoked token reads as revoked, consumedAt = the revocation time')
    }
    for (const token of mine) t.equal(await tokens.consumeToken(PURPOSE, token.secretHash, at), undefined, 'a revoked token cannot be consumed')
    t.same(tokenState(await tokens.lookupToken(PURPOSE, mine[0]!.secretHash)), { consumedAt: at.getTime(), revoked: true }, 'and the refused consume left it revoked')
    t.same(tokenState(await tokens.lookupToken(PURPOSE, spent.secretHash)), { consumedAt: now.getTime(), revoked: false },
      'the token consumed before: still consumed at its own time, not revoked')
    t.same(tokenState(await tokens.lookupToken(PURPOSE, expired.secretHash)), { consumedAt: null, revoked: false }, 'an expired token: not revoked')
    t.same(tokenState(await tokens.lookupToken('kit:verify', otherPurpose.secretHash)), { consumedAt: null, revoked: false }, 'another purpose: not revoked')
    t.same(tokenState(await tokens.lookupToken(PURPOSE, otherUser.secretHash)), { consumedAt: null, revoked: false }, 'another user: not revoked')
    t.ok(await tokens.findToken('kit:verify', otherPurpose.secretHash, now), 'another purpose is untouched')
    t.ok(await tokens.findToken(PURPOSE, otherUser.secretHash, now), "another user's token is untouched")
    t.equal(await tokens.revokeTokens(PURPOSE, 'u1', now), 0, 'again: 0')
    t.equal(await tokens.revokeTokens(PURPOSE, 'nobody', now), 0, 'an unknown user: 0')
  }))

  t.test('deleteExpiredTokens deletes tokens expired or consumed at or before now', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const at = (ms: number) => new Date(now.getTime() + ms)
    const created = at(-60_000)
    const live = await tokens.createToken(newToken('u1', created, { expiresAt: at(1) }))
    await tokens.createToken(newToken('u1', created, { expiresAt: now }))
    await tokens.createToken(newToken('u1', created, { expiresAt: at(-1) }))
    const consumedNow = await tokens.createToken(newToken('u1', created))
    await tokens.consumeToken(PURPOSE, consumedNow.secretHash, now)
    const consumedLater = await tokens.createToken(newToken('u2', created))
    await tokens.consumeToken(PURPOSE, consumedLater.secretHash, at(5000))
    t.equal(await tokens.deleteExpiredTokens(now), 3, 'expired at now, before now, and consumed at now')
    t.ok(await tokens.findToken(PURPOSE, live.secretHash, now), 'a token expiring 1 ms later stays')
    t.equal(await tokens.deleteExpiredTokens(now), 0, 'a second run deletes nothing')
    t.equal(await tokens.deleteExpiredTokens(at(4999)), 1, 'later: the one that expired at +1 ms, not the one consumed at +5 s')
    t.equal(await tokens.deleteExpiredTokens(at(5000)), 1, 'at +5 s: the one consumed then')
  }))

  t.test('a duplicate secret hash is an AuthError and changes nothing, even with revokeOthers', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const first = await tokens.createToken(newToken('u1', now))
    let error: unknown
    try {
      await tokens.createToken(newToken('u1', now, { secretHash: first.secretHash, purpose: PURPOSE }), { revokeOthers: true })
    } catch (err) {
      error = err
    }
    t.ok(error instanceof Error && error.name === 'AuthError', `rejected with an AuthError (got ${describe(error)})`)
    t.equal((await tokens.findToken(PURPOSE, first.secretHash, now))?.id, first.id, 'the first token is intact and usable: the revocation rolled back')
    t.same(tokenState(await tokens.lookupToken(PURPOSE, first.secretHash)), { consumedAt: null, revoked: false }, 'and not marked revoked')
  }))

  t.test('createToken with a taken id is ERR_AUTH_STORAGE_FAILED and changes nothing, even with revokeOthers (ids are unique: never overwrite)', (t) =>
    withPlugin(options, async (plugin) => {
      const tokens = storeOf(t, plugin, 'oneTimeTokens')
      const now = new Date()
      const first = await tokens.createToken(newToken('u1', now))
      const again = newToken('u1', now, { id: first.id })
      await rejectsWith(t, tokens.createToken(again, { revokeOthers: true }), 'ERR_AUTH_STORAGE_FAILED',
        'rule: one-time-token ids are unique, a duplicate id is refused')
      t.same(plainToken(await tokens.lookupToken(PURPOSE, first.secretHash)), plainToken(first),
        'rule: the token holding the id is unchanged (not overwritten, not revoked)')
      t.equal(await tokens.lookupToken(PURPOSE, again.secretHash), undefined, 'the refused token was not stored')
    }))

  t.test(`${RACERS} concurrent consumes of one token: exactly one wins`, (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const token = await tokens.createToken(newToken('u1', now))
    const results = await Promise.allSettled(Array.from({ length: RACERS }, () => tokens.consumeToken(PURPOSE, token.secretHash, now)))
    t.same(results.filter((r) => r.status === 'rejected').map((r) => describe((r as PromiseRejectedResult).reason)), [], 'no consume failed')
    const winners = results.filter((r) => r.status === 'fulfilled' && r.value !== undefined)
    t.equal(winners.length, 1, 'one caller got the row')
    t.equal(results.filter((r) => r.status === 'fulfilled' && r.value === undefined).length, RACERS - 1, 'the others got undefined')
  }))

  t.test('transaction(): tx.oneTimeTokens takes part; a rollback undoes its creates and consumes', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const outside = await tokens.createToken(newToken('u1', now))
    const inside = newToken('u1', now)
    await inFailedTransaction(t, plugin, async (tx) => {
      const txTokens = storeOf(t, tx, 'oneTimeTokens')
      await tx.createUser(newUser('tx-token'))
      await txTokens.createToken(inside)
      t.ok(await txTokens.findToken(PURPOSE, inside.secretHash, now), 'the transaction sees its own token')
      t.equal((await txTokens.consumeToken(PURPOSE, outside.secretHash, now))?.id, outside.id, 'a consume inside the transaction')
      t.same(tokenState(await txTokens.lookupToken(PURPOSE, outside.secretHash)), { consumedAt: now.getTime(), revoked: false },
        'tx.oneTimeTokens.lookupToken sees the consume')
    })
    t.equal(await tokens.findToken(PURPOSE, inside.secretHash, now), undefined, 'the token created inside is gone')
    t.ok(await tokens.findToken(PURPOSE, outside.secretHash, now), 'the consume was rolled back: the token is usable')
    t.same(tokenState(await tokens.lookupToken(PURPOSE, outside.secretHash)), { consumedAt: null, revoked: false }, 'and looks up as never consumed')
    await plugin.transaction(async (tx) => { await tx.oneTimeTokens?.consumeToken(PURPOSE, outside.secretHash, now) })
    t.equal(await tokens.findToken(PURPOSE, outside.secretHash, now), undefined, 'a committed consume stays')
  }))
}
