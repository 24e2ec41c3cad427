/**
 * Helpers shared by the conformance kit's test groups: a fresh plugin per
 * subtest, user fixtures and coded-error assertions.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { optionsCheck, type NewSession, type NewUser, type SessionRecord, type StoragePlugin, type UserRecord } from '../../lib/index.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { storeOf } from './record-helpers.js'

/** The options check of a kit's entry point `kit`: `name` (a non-empty string) and `create` (a function) are required. */
export function kitOptionsCheck(kit: string): (options: unknown) => void {
  return optionsCheck({
    type: 'object',
    required: ['name', 'create'],
    properties: { name: { type: 'string', minLength: 1 }, create: { kind: 'function', description: 'a function' } },
  }, kit)
}

/**
 * Registers each group as a subtest `<options.name>: <label>` of `t`, which
 * hands it `options`; when `gate` answers a reason, the group is announced
 * as skipped with it instead.
 */
export function groupTests<O extends { name: string }>(
  t: ConformanceTest,
  options: O,
  groups: readonly (readonly [string, (t: ConformanceTest, options: O) => unknown])[],
  gate: () => Promise<string | undefined> = async () => undefined,
): unknown[] {
  return groups.map(([label, register]) => t.test(`${options.name}: ${label}`, async (sub) => {
    const reason = await gate()
    if (reason === undefined) await register(sub, options)
    else announceSkip(sub, `${options.name}: ${label}`, reason)
  }))
}

/**
 * Reports that `what` did not run, and why: a skipped subtest where the
 * runner has them (tap counts it in its summary), else a comment. A skip is
 * never silent, so a summary shows which part of the contract went unchecked.
 */
export function announceSkip(t: ConformanceTest, what: string, reason: string): void {
  const message = `skipped: ${what}: ${reason}`
  if (typeof t.skip === 'function') t.skip(message, () => {})
  else t.comment(message)
}

/** A new unique scope: lower-case letters and digits, starting with a letter. */
export function newScope(): string {
  return 's' + randomBytes(6).toString('hex').slice(0, 11)
}

/** Runs `fn` with a fresh, initialised plugin; closes it and destroys the scope afterwards. */
export async function withPlugin(
  options: StorageConformanceOptions,
  fn: (plugin: StoragePlugin, scope: string) => Promise<void>,
): Promise<void> {
  const scope = newScope()
  const plugin = await options.create(scope)
  try {
    await plugin.init()
    await fn(plugin, scope)
  } finally {
    await plugin.close()
    await options.destroy?.(scope)
  }
}

/** A valid new user; `tag` makes its email and key unique. */
export function newUser(tag: string, overrides: Partial<NewUser> = {}): NewUser {
  const email = `${tag}@example.com`
  return {
    id: randomUUID(), email, emailKey: email.toLowerCase(), name: `Name ${tag}`, role: 'user',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
    ...overrides,
  }
}

/**
 * A Date as milliseconds to compare; null stays null, and anything else reads
 * as a string saying what it is, so a wrong field fails a comparison instead
 * of crashing the kit.
 */
export function ms(value: unknown): unknown {
  if (value instanceof Date) return value.getTime()
  return value === null || value === undefined ? null : `not a Date: ${typeof value} ${String(value)}`
}

/** The comparable fields of a record (Dates as milliseconds). */
export function plain(user: UserRecord | undefined): unknown {
  if (user === undefined || user === null) return user
  return { ...user, createdAt: ms(user.createdAt), updatedAt: ms(user.updatedAt) }
}

/** Asserts every field of a stored record has the contract's type. */
export function checkShape(t: ConformanceTest, user: UserRecord | undefined): void {
  t.ok(user !== undefined, 'record present')
  if (user === undefined) return
  for (const key of ['id', 'email', 'emailKey', 'name', 'role'] as const) t.equal(typeof user[key], 'string', `${key} is a string`)
  t.ok(user.passwordHash === null || typeof user.passwordHash === 'string', 'passwordHash is a string or null')
  t.equal(typeof user.tokenVersion, 'number', 'tokenVersion is a number')
  t.equal(typeof user.disabled, 'boolean', 'disabled is a boolean')
  t.equal(typeof user.emailVerified, 'boolean', 'emailVerified is a boolean')
  t.ok(user.createdAt instanceof Date && !Number.isNaN(user.createdAt.getTime()), 'createdAt is a valid Date')
  t.ok(user.updatedAt instanceof Date && !Number.isNaN(user.updatedAt.getTime()), 'updatedAt is a valid Date')
}

/** True when `err` is an AuthError with `code` (checked by shape, so two copies of the package agree). */
export function hasCode(err: unknown, code: string): boolean {
  return err instanceof Error && err.name === 'AuthError' && (err as { code?: unknown }).code === code
}

/** Awaits `promise`, asserting it rejects with an AuthError of `code`; returns the error. */
export async function rejectsWith(t: ConformanceTest, promise: Promise<unknown>, code: string, message: string): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    t.ok(hasCode(err, code), `${message}: rejects with ${code} (got ${describe(err)})`)
    return err
  }
  t.fail(`${message}: resolved, expected ${code}`)
  return undefined
}

/** Awaits `promise`, asserting it rejects with a TypeError. */
export async function rejectsTypeError(t: ConformanceTest, promise: () => Promise<unknown>, message: string): Promise<void> {
  try {
    await promise()
  } catch (err) {
    t.ok(err instanceof TypeError, `${message}: TypeError (got ${describe(err)})`)
    return
  }
  t.fail(`${message}: resolved, expected a TypeError`)
}

/** Short description of an error for assertion messages. */
export function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}${(err as { code?: unknown }).code ? ` ${String((err as { code?: unknown }).code)}` : ''}: ${err.message}`
  return String(err)
}

/** A valid new session of `userId`, starting its own family, live for a day (idle: an hour) from `now`; no `method` unless `overrides` gives one. */
export function newSession(userId: string, now: Date, overrides: Partial<NewSession> = {}): NewSession {
  const id = randomUUID()
  return {
    id, familyId: id, userId, secretHash: randomBytes(32).toString('base64url'),
    createdAt: new Date(now.getTime()), expiresAt: new Date(now.getTime() + 86_400_000),
    idleExpiresAt: new Date(now.getTime() + 3_600_000), ...overrides,
  }
}

/** A session record's comparable fields (Dates as milliseconds). */
export function plainSession(session: SessionRecord | NewSession | undefined): unknown {
  if (session === undefined || session === null) return session
  const s = session as Partial<SessionRecord> & NewSession
  return {
    id: s.id, familyId: s.familyId, userId: s.userId, secretHash: s.secretHash, createdAt: ms(s.createdAt),
    expiresAt: ms(s.expiresAt), idleExpiresAt: ms(s.idleExpiresAt), consumedAt: ms(s.consumedAt),
    successorId: s.successorId ?? null, revokedAt: ms(s.revokedAt), method: s.method ?? null,
  }
}

/** The plugin's session store, failing the test when it has none. */
export function sessionsOf(t: ConformanceTest, plugin: StoragePlugin): NonNullable<StoragePlugin['sessions']> {
  return storeOf(t, plugin, 'sessions')
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
