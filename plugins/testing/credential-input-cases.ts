/** Conformance (credentials): data, Date ownership, misuse and a closed plugin. */
import { MAX_CREDENTIAL_DATA_BYTES } from '../../lib/index.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { rejectsTypeError, rejectsWith, withPlugin } from './kit-helpers.js'
import { newCredential, objectOfBytes, storeOf } from './record-helpers.js'
import { HOSTILE_STRINGS } from './string-cases.js'

/** Registers the input subtests. */
export function credentialInputCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('data round-trips as new objects: changing one the caller holds never changes the store', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const data = { publicKey: 'pQECAyYgASFYIA', transports: ['usb', 'nfc'], counter: 0, nested: { 'ключ': '值 😀' } }
    const original = structuredClone(data)
    const created = await credentials.createCredential(newCredential('u1', { data }))
    data.transports.push('changed after create')
    ;(created.data as { counter: number }).counter = 100
    const found = await credentials.findCredential('u1', created.id)
    t.same(found?.data, original, "neither the caller's object nor the returned one is the stored one")
    ;(found?.data as { transports: string[] }).transports.length = 0
    const again = await credentials.findCredentialBySubject(created.kind, created.subject)
    t.same(again?.data, original, 'a found object is a copy too')
    const patch = { counter: 1 }
    const updated = await credentials.updateCredential('u1', created.id, 0, { data: patch })
    patch.counter = 50
    ;(updated?.data as { counter: number }).counter = 60
    t.same((await credentials.listCredentials('u1'))[0]?.data, { counter: 1 }, 'a patch object and an updated record are copies')
  }))

  t.test(`data size: ${MAX_CREDENTIAL_DATA_BYTES} bytes of JSON are accepted, one more is a TypeError (bytes, not characters)`, (t) =>
    withPlugin(options, async (plugin) => {
      const credentials = storeOf(t, plugin, 'credentials')
      for (const char of ['x', 'é'] as const) {
        const fits = await credentials.createCredential(newCredential('u1', { data: objectOfBytes(MAX_CREDENTIAL_DATA_BYTES, char) }))
        t.same((await credentials.findCredential('u1', fits.id))?.data, objectOfBytes(MAX_CREDENTIAL_DATA_BYTES, char), `${char}: the limit is stored`)
        const over = newCredential('u1', { data: objectOfBytes(MAX_CREDENTIAL_DATA_BYTES + 1, char) })
        await rejectsTypeError(t, () => credentials.createCredential(over), `${char}: one byte over on create`)
        t.equal(await credentials.findCredential('u1', over.id), undefined, `${char}: the refused credential was not stored`)
        await rejectsTypeError(t, () => credentials.updateCredential('u1', fits.id, 0, { data: over.data }), `${char}: one byte over on update`)
        t.equal((await credentials.findCredential('u1', fits.id))?.version, 0, `${char}: the refused update wrote nothing`)
      }
    }))

  t.test('Dates are fresh objects; hostile strings in kind, subject and user id round-trip', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const created = await credentials.createCredential(newCredential('u1'))
    const usedAt = new Date()
    const updated = await credentials.updateCredential('u1', created.id, 0, { lastUsedAt: usedAt })
    t.ok(updated?.lastUsedAt !== usedAt, 'lastUsedAt is not the Date passed in')
    usedAt.setTime(0)
    updated?.lastUsedAt?.setTime(0)
    created.createdAt.setTime(0)
    const found = await credentials.findCredential('u1', created.id)
    t.ok(found !== undefined && found.lastUsedAt!.getTime() > 0 && found.createdAt.getTime() > 0, 'changing those Dates changed nothing stored')
    for (const [i, s] of HOSTILE_STRINGS.entries()) {
      const kind = `${Array.from(s).slice(0, 20).join('')}#${i}`
      const input = newCredential(`${s}#${i}`, { kind, subject: `${s}#${i}`, data: { s } })
      await credentials.createCredential(input)
      const back = await credentials.findCredentialBySubject(kind, input.subject)
      t.same([back?.id, back?.userId, back?.data], [input.id, input.userId, { s }], `#${i} stored literally`)
    }
  }))

  t.test('misuse is a TypeError; the limits are 64 characters for a kind and 255 for a subject', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const stored = await credentials.createCredential(newCredential('u1', { kind: 'k'.repeat(64), subject: 's'.repeat(255) }))
    t.equal(stored.subject.length, 255, 'a 64-character kind and a 255-character subject are accepted')
    const bad: [string, () => Promise<unknown>][] = [
      ['a null credential', () => credentials.createCredential(null as never)],
      ['a 65-character kind', () => credentials.createCredential(newCredential('u1', { kind: 'k'.repeat(65) }))],
      ['a 256-character subject', () => credentials.createCredential(newCredential('u1', { subject: 's'.repeat(256) }))],
      ['an empty subject', () => credentials.createCredential(newCredential('u1', { subject: '' }))],
      ['a numeric userId', () => credentials.createCredential(newCredential(3 as never))],
      ['null data', () => credentials.createCredential(newCredential('u1', { data: null as never }))],
      ['array data', () => credentials.createCredential(newCredential('u1', { data: [] as never }))],
      ['findCredentialBySubject with a 256-character subject', () => credentials.findCredentialBySubject('k', 's'.repeat(256))],
      ['findCredential with a numeric id', () => credentials.findCredential('u1', 1 as never)],
      ['listCredentials with a numeric kind', () => credentials.listCredentials('u1', 1 as never)],
      ['a negative expectedVersion', () => credentials.updateCredential('u1', stored.id, -1, {})],
      ['a fractional expectedVersion', () => credentials.updateCredential('u1', stored.id, 0.5, {})],
      ['a string expectedVersion', () => credentials.updateCredential('u1', stored.id, '0' as never, {})],
      ['a null patch', () => credentials.updateCredential('u1', stored.id, 0, null as never)],
      ['an invalid lastUsedAt', () => credentials.updateCredential('u1', stored.id, 0, { lastUsedAt: new Date(Number.NaN) })],
      ['array patch data', () => credentials.updateCredential('u1', stored.id, 0, { data: [] as never })],
      ['deleteCredential with a numeric userId', () => credentials.deleteCredential(1 as never, stored.id)],
    ]
    for (const [label, run] of bad) await rejectsTypeError(t, run, label)
    t.equal((await credentials.listCredentials('u1')).length, 1, 'nothing else was stored')
    t.equal((await credentials.findCredential('u1', stored.id))?.version, 0, 'no refused update wrote')
  }))

  t.test('credential operations after close() reject with ERR_AUTH_STORAGE_UNAVAILABLE', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const stored = await credentials.createCredential(newCredential('u1'))
    await plugin.close()
    await rejectsWith(t, credentials.findCredential('u1', stored.id), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'findCredential after close')
    await rejectsWith(t, credentials.createCredential(newCredential('u1')), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'createCredential after close')
    await rejectsWith(t, credentials.updateCredential('u1', stored.id, 0, {}), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'updateCredential after close')
  }))
}
