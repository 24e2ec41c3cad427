/**
 * Helpers of the one-time-token and credential conformance cases: fixtures,
 * comparable shapes and the plugin's optional stores.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type {
  CredentialRecord, NewCredential, NewOneTimeToken, OneTimeTokenRecord, StoragePlugin, TransactionStore,
} from '../../lib/index.js'
import { ms } from './kit-helpers.js'
import type { ConformanceTest } from './kit-types.js'

/** The purpose the token cases use unless they say otherwise. */
export const PURPOSE = 'kit:reset'

/** A fresh random secret and its SHA-256, base64url, as a capability would make them. */
export function newSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url')
  return { secret, hash: createHash('sha256').update(secret).digest('base64url') }
}

/** A valid new token of `userId` for {@link PURPOSE}, created at `now` and usable for an hour. */
export function newToken(userId: string | null, now: Date, overrides: Partial<NewOneTimeToken> = {}): NewOneTimeToken {
  return {
    id: randomUUID(), purpose: PURPOSE, userId, secretHash: newSecret().hash, payload: { email: 'a@example.com' },
    createdAt: new Date(now.getTime()), expiresAt: new Date(now.getTime() + 3_600_000), ...overrides,
  }
}

/**
 * A token's comparable fields (Dates as milliseconds); a new token reads as
 * not consumed and not revoked. A record's `revoked` is taken as it is, and
 * anything but a boolean reads as a string saying so (`same` compares
 * loosely, and 0 must not pass for false).
 */
export function plainToken(token: OneTimeTokenRecord | NewOneTimeToken | undefined): unknown {
  if (token === undefined || token === null) return token
  const revoked = 'consumedAt' in token ? strictBoolean((token as OneTimeTokenRecord).revoked) : false
  return {
    id: token.id, purpose: token.purpose, userId: token.userId, secretHash: token.secretHash, payload: token.payload,
    createdAt: ms(token.createdAt), expiresAt: ms(token.expiresAt), consumedAt: ms((token as Partial<OneTimeTokenRecord>).consumedAt), revoked,
  }
}

/** What spent a token, as `{ consumedAt (milliseconds or null), revoked }`, for the lookupToken cases; undefined stays undefined. */
export function tokenState(token: OneTimeTokenRecord | undefined): unknown {
  return token === undefined || token === null ? token : { consumedAt: ms(token.consumedAt), revoked: strictBoolean(token.revoked) }
}

// A boolean as it is; anything else as a description that equals no boolean, even loosely.
function strictBoolean(value: unknown): unknown {
  return typeof value === 'boolean' ? value : `not a boolean: ${typeof value} ${String(value)}`
}

/** A valid new credential of `userId`; `subject` defaults to a random one. */
export function newCredential(userId: string, overrides: Partial<NewCredential> = {}): NewCredential {
  return { id: randomUUID(), userId, kind: 'kit:oidc', subject: `https://issuer.example|${randomUUID()}`, data: { counter: 0 }, ...overrides }
}

/** A credential's comparable fields (Dates as milliseconds). */
export function plainCredential(credential: CredentialRecord | undefined): unknown {
  if (credential === undefined || credential === null) return credential
  return { ...credential, createdAt: ms(credential.createdAt), lastUsedAt: ms(credential.lastUsedAt) }
}

/** The optional stores a plugin, and a transaction of it, may offer. */
type OptionalStores = Pick<TransactionStore, 'sessions' | 'oneTimeTokens' | 'credentials'>

/** The `member` store of a plugin or transaction, failing the test when it lacks it (the plugin offered one when probed). */
export function storeOf<K extends keyof OptionalStores>(t: ConformanceTest, holder: OptionalStores, member: K): NonNullable<OptionalStores[K]> {
  const store = holder[member]
  if (store === undefined || store === null) {
    t.fail(`the plugin offered ${member} when probed, but this instance (or transaction) has none`)
    throw new Error(`no ${member}`)
  }
  return store as NonNullable<OptionalStores[K]>
}

/** A JSON object whose serialisation is exactly `bytes` bytes of UTF-8, made of `char` (one or two bytes). */
export function objectOfBytes(bytes: number, char: 'x' | 'é'): Record<string, unknown> {
  const overhead = '{"a":""}'.length
  const width = Buffer.byteLength(char)
  const body = char.repeat(Math.floor((bytes - overhead) / width))
  // Pads with one 'x' when an odd byte is left over by a two-byte character.
  return { a: body + 'x'.repeat(bytes - overhead - body.length * width) }
}

/** Runs `fn` in a transaction of `plugin` that then fails with an injected fault, and asserts the fault comes back as-is. */
export async function inFailedTransaction(t: ConformanceTest, plugin: StoragePlugin, fn: (tx: TransactionStore) => Promise<void>): Promise<void> {
  const fault = new Error('injected fault')
  let caught: unknown
  try {
    await plugin.transaction(async (tx) => {
      await fn(tx)
      throw fault
    })
  } catch (err) {
    caught = err
  }
  t.equal(caught, fault, "fn's error rethrown as-is")
}
