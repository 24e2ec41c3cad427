/** Conformance (one-time tokens): payloads, Date ownership, misuse and a closed plugin. */
import { MAX_ONE_TIME_PAYLOAD_BYTES } from '../../lib/index.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { rejectsTypeError, rejectsWith, withPlugin } from './kit-helpers.js'
import { newToken, objectOfBytes, plainToken, PURPOSE, storeOf } from './record-helpers.js'

/** Registers the input subtests. */
export function oneTimeTokenInputCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('payloads round-trip as new objects: changing one the caller holds never changes the store', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const payload = { list: [1, 'two', null, true, { deep: 'ünï 😀' }], n: -1.5, quote: '"\'\\', empty: {} }
    const original = structuredClone(payload)
    const input = newToken('u1', now, { payload })
    const created = await tokens.createToken(input)
    payload.list.push('changed after create')
    payload.n = 99
    ;(created.payload as { n: number }).n = 100
    const found = await tokens.findToken(PURPOSE, input.secretHash, now)
    t.same(found?.payload, original, "neither the caller's object nor the returned one is the stored one")
    ;((found?.payload as { list: unknown[] }).list).length = 0
    t.same((await tokens.findToken(PURPOSE, input.secretHash, now))?.payload, original, 'a found payload is a copy too')
    t.same((await tokens.consumeToken(PURPOSE, input.secretHash, now))?.payload, original, 'the consumed record carries the payload')
  }))

  t.test('lookupToken answers a fresh copy every time: changing its payload or Dates changes nothing stored', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const input = newToken('u1', now, { payload: { list: [1, { deep: 'ünï' }], n: 1 } })
    await tokens.createToken(input)
    const expected = plainToken(input)
    const first = await tokens.lookupToken(PURPOSE, input.secretHash)
    const second = await tokens.lookupToken(PURPOSE, input.secretHash)
    t.ok(first !== undefined && second !== undefined && first !== second && first.payload !== second.payload &&
      first.createdAt !== second.createdAt && first.expiresAt !== second.expiresAt, 'two lookups share no object')
    if (first === undefined) return
    ;(first.payload as { n: number }).n = 2
    ;((first.payload as { list: unknown[] }).list).length = 0
    first.createdAt.setTime(0)
    first.expiresAt.setTime(now.getTime() - 1)
    first.revoked = true
    t.same(plainToken(await tokens.lookupToken(PURPOSE, input.secretHash)), expected, 'a changed lookup result changes nothing stored')
    t.ok(await tokens.findToken(PURPOSE, input.secretHash, now), 'the token is still usable')
    const at = new Date(now.getTime() + 1)
    await tokens.consumeToken(PURPOSE, input.secretHash, at)
    const consumed = await tokens.lookupToken(PURPOSE, input.secretHash)
    t.ok(consumed?.consumedAt instanceof Date && consumed.consumedAt !== at, 'consumedAt is a new Date')
    consumed?.consumedAt?.setTime(0)
    t.equal((await tokens.lookupToken(PURPOSE, input.secretHash))?.consumedAt?.getTime(), at.getTime(), 'changing it changes nothing stored')
  }))

  t.test('lookupToken misuse is a TypeError and changes nothing', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const input = newToken('u1', now)
    await tokens.createToken(input)
    const bad: [string, () => Promise<unknown>][] = [
      ['a numeric purpose', () => tokens.lookupToken(1 as never, input.secretHash)],
      ['a null purpose', () => tokens.lookupToken(null as never, input.secretHash)],
      ['an empty purpose', () => tokens.lookupToken('', input.secretHash)],
      ['a 65-character purpose', () => tokens.lookupToken('p'.repeat(65), input.secretHash)],
      ['a numeric secretHash', () => tokens.lookupToken(PURPOSE, 7 as never)],
      ['an undefined secretHash', () => tokens.lookupToken(PURPOSE, undefined as never)],
      ['an object secretHash', () => tokens.lookupToken(PURPOSE, { toString: () => input.secretHash } as never)],
    ]
    for (const [label, run] of bad) await rejectsTypeError(t, run, `lookupToken with ${label}`)
    t.same(plainToken(await tokens.lookupToken(PURPOSE, input.secretHash)), plainToken(input), 'the token is as created: not consumed, not revoked')
    t.equal((await tokens.consumeToken(PURPOSE, input.secretHash, now))?.id, input.id, 'and still consumes')
    t.equal(await tokens.lookupToken('p'.repeat(64), input.secretHash), undefined, 'a 64-character purpose is accepted (and finds nothing here)')
  }))

  t.test(`payload size: ${MAX_ONE_TIME_PAYLOAD_BYTES} bytes of JSON are accepted, one more is a TypeError (bytes, not characters)`, (t) =>
    withPlugin(options, async (plugin) => {
      const tokens = storeOf(t, plugin, 'oneTimeTokens')
      const now = new Date()
      for (const char of ['x', 'é'] as const) {
        const fits = newToken('u1', now, { payload: objectOfBytes(MAX_ONE_TIME_PAYLOAD_BYTES, char) })
        t.same((await tokens.createToken(fits)).payload, fits.payload, `${char}: exactly the limit is stored`)
        const over = newToken('u1', now, { payload: objectOfBytes(MAX_ONE_TIME_PAYLOAD_BYTES + 1, char) })
        await rejectsTypeError(t, () => tokens.createToken(over), `${char}: one byte over`)
        t.equal(await tokens.findToken(PURPOSE, over.secretHash, now), undefined, `${char}: the refused token was not stored`)
      }
    }))

  t.test('Dates are fresh objects: neither the caller nor a record shares one with the store', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const input = newToken('u1', now)
    const expires = input.expiresAt.getTime()
    const created = await tokens.createToken(input)
    t.ok(created.createdAt !== input.createdAt && created.expiresAt !== input.expiresAt, 'the created record has its own Dates')
    input.expiresAt.setTime(now.getTime() - 1)
    created.expiresAt.setTime(now.getTime() - 1)
    const found = await tokens.findToken(PURPOSE, input.secretHash, now)
    t.equal(found?.expiresAt.getTime(), expires, 'changing either Date afterwards changes nothing stored')
    const at = new Date(now.getTime() + 1)
    const consumed = await tokens.consumeToken(PURPOSE, input.secretHash, at)
    t.ok(consumed?.consumedAt instanceof Date && consumed.consumedAt !== at, 'consumedAt is a new Date')
    t.equal(consumed?.consumedAt?.getTime(), at.getTime(), 'holding the time of now')
  }))

  t.test('misuse is a TypeError and stores nothing', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const bad: [string, () => Promise<unknown>][] = [
      ['a null token', () => tokens.createToken(null as never)],
      ['a numeric purpose', () => tokens.createToken(newToken('u1', now, { purpose: 42 as never }))],
      ['an empty purpose', () => tokens.createToken(newToken('u1', now, { purpose: '' }))],
      ['a 65-character purpose', () => tokens.createToken(newToken('u1', now, { purpose: 'p'.repeat(65) }))],
      ['a numeric secretHash', () => tokens.createToken(newToken('u1', now, { secretHash: 7 as never }))],
      ['an array payload', () => tokens.createToken(newToken('u1', now, { payload: [] as never }))],
      ['a string payload', () => tokens.createToken(newToken('u1', now, { payload: 'x' as never }))],
      ['an invalid expiresAt', () => tokens.createToken(newToken('u1', now, { expiresAt: new Date(Number.NaN) }))],
      ['a numeric createdAt', () => tokens.createToken(newToken('u1', now, { createdAt: Date.now() as never }))],
      ['revokeOthers without a userId', () => tokens.createToken(newToken(null, now), { revokeOthers: true })],
      ['findToken with an invalid now', () => tokens.findToken(PURPOSE, 'h', new Date(Number.NaN))],
      ['findToken with a numeric purpose', () => tokens.findToken(1 as never, 'h', now)],
      ['lookupToken with a numeric secretHash', () => tokens.lookupToken(PURPOSE, 1 as never)],
      ['consumeToken with a 65-character purpose', () => tokens.consumeToken('p'.repeat(65), 'h', now)],
      ['consumeToken with a string now', () => tokens.consumeToken(PURPOSE, 'h', '2030-01-01' as never)],
      ['revokeTokens with a numeric userId', () => tokens.revokeTokens(PURPOSE, 5 as never, now)],
      ['deleteExpiredTokens with a number', () => tokens.deleteExpiredTokens(Date.now() as never)],
    ]
    for (const [label, run] of bad) await rejectsTypeError(t, run, label)
    const fits = newToken('u1', now, { purpose: 'p'.repeat(64) })
    t.equal((await tokens.createToken(fits)).purpose, fits.purpose, 'a 64-character purpose is accepted')
    t.equal(await tokens.revokeTokens('p'.repeat(64), 'u1', now), 1, 'the only token stored is that one')
  }))

  t.test('one-time-token operations after close() reject with ERR_AUTH_STORAGE_UNAVAILABLE', (t) => withPlugin(options, async (plugin) => {
    const tokens = storeOf(t, plugin, 'oneTimeTokens')
    const now = new Date()
    const token = await tokens.createToken(newToken('u1', now))
    await plugin.close()
    await rejectsWith(t, tokens.findToken(PURPOSE, token.secretHash, now), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'findToken after close')
    await rejectsWith(t, tokens.lookupToken(PURPOSE, token.secretHash), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'lookupToken after close')
    await rejectsWith(t, tokens.consumeToken(PURPOSE, token.secretHash, now), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'consumeToken after close')
    await rejectsWith(t, tokens.createToken(newToken('u1', now)), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'createToken after close')
    await rejectsWith(t, tokens.deleteExpiredTokens(now), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'deleteExpiredTokens after close')
  }))
}
