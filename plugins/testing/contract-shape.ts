/**
 * The kit's first check: is the plugin whole, and do its records have the
 * contract's field types? Without it a missing method fails dozens of cases
 * one "is not a function" at a time, and a field of the wrong type crashes
 * them. When either is wrong the other groups are skipped, saying so.
 */
import {
  REQUIRED_CREDENTIAL_OPERATIONS, REQUIRED_ONE_TIME_TOKEN_OPERATIONS, REQUIRED_RATE_LIMIT_OPERATIONS, REQUIRED_SESSION_OPERATIONS,
  REQUIRED_STORAGE_OPERATIONS, type StoragePlugin,
} from '../../lib/index.js'
import { describe, newScope, newSession, newUser } from './kit-helpers.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { newCredential, newToken } from './record-helpers.js'
import { show } from './soft-test.js'

/** The optional members of a storage plugin. */
export type OptionalMember = 'sessions' | 'rateLimits' | 'oneTimeTokens' | 'credentials'

/** What the shape check found. */
export interface ContractShape {
  /** What makes the other groups pointless (an operation missing, a field of the wrong type); empty when none. */
  readonly problems: readonly string[]
  /** Operations that failed while the check ran; reported, but the groups still run (they say more). */
  readonly notes: readonly string[]
  /** The optional stores the plugin offers. */
  readonly offers: ReadonlySet<OptionalMember>
}

type FieldType = 'string' | 'string|null' | 'number' | 'boolean' | 'Date' | 'Date|null' | 'object' | 'object|null'

const USER_FIELDS: Record<string, FieldType> = {
  id: 'string', email: 'string', emailKey: 'string', name: 'string', role: 'string', passwordHash: 'string|null',
  tokenVersion: 'number', disabled: 'boolean', emailVerified: 'boolean', createdAt: 'Date', updatedAt: 'Date',
}
const SESSION_FIELDS: Record<string, FieldType> = {
  id: 'string', familyId: 'string', userId: 'string', secretHash: 'string', createdAt: 'Date', expiresAt: 'Date',
  idleExpiresAt: 'Date', consumedAt: 'Date|null', successorId: 'string|null', revokedAt: 'Date|null', method: 'string|null',
}
const TOKEN_FIELDS: Record<string, FieldType> = {
  id: 'string', purpose: 'string', userId: 'string|null', secretHash: 'string', payload: 'object|null',
  createdAt: 'Date', expiresAt: 'Date', consumedAt: 'Date|null', revoked: 'boolean',
}
const CREDENTIAL_FIELDS: Record<string, FieldType> = {
  id: 'string', userId: 'string', kind: 'string', subject: 'string', data: 'object', version: 'number', createdAt: 'Date',
  lastUsedAt: 'Date|null',
}
const COUNTER_FIELDS: Record<string, FieldType> = { count: 'number', resetAt: 'number' }

function hasType(value: unknown, type: FieldType): boolean {
  return type.split('|').some((t) => {
    if (t === 'null') return value === null
    if (t === 'Date') return value instanceof Date && !Number.isNaN(value.getTime())
    if (t === 'number') return typeof value === 'number' && Number.isFinite(value)
    if (t === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
    return typeof value === t
  })
}

/**
 * The operations a plugin lacks, named as `ready()` names them (the
 * counters too, which `ready()` checks when `rateLimit.store` is 'storage').
 */
export function missingOperations(plugin: StoragePlugin): string[] {
  const missing = (store: object, required: readonly string[], prefix: string) =>
    required.filter((op) => typeof (store as Record<string, unknown>)[op] !== 'function').map((op) => prefix + op)
  return [
    ...missing(plugin, REQUIRED_STORAGE_OPERATIONS, ''),
    ...(plugin.sessions === undefined ? [] : missing(plugin.sessions, REQUIRED_SESSION_OPERATIONS, 'sessions.')),
    ...(plugin.rateLimits === undefined ? [] : missing(plugin.rateLimits, REQUIRED_RATE_LIMIT_OPERATIONS, 'rateLimits.')),
    ...(plugin.oneTimeTokens === undefined ? [] : missing(plugin.oneTimeTokens, REQUIRED_ONE_TIME_TOKEN_OPERATIONS, 'oneTimeTokens.')),
    ...(plugin.credentials === undefined ? [] : missing(plugin.credentials, REQUIRED_CREDENTIAL_OPERATIONS, 'credentials.')),
  ]
}

// Collects what is wrong with the records the probe reads, once per type, field and operation.
class FieldReport {
  readonly problems: string[] = []
  readonly notes: string[] = []

  check(type: string, source: string, record: unknown, fields: Record<string, FieldType>): void {
    if (typeof record !== 'object' || record === null) {
      this.problems.push(`${source} must answer a ${type}, got ${show(record)}`)
      return
    }
    for (const [field, expected] of Object.entries(fields)) {
      const value = (record as Record<string, unknown>)[field]
      if (!hasType(value, expected)) {
        const wanted = expected.replace('Date', 'valid Date').replace('|', ' or ')
        this.problems.push(`${type}.${field} (from ${source}) must be a ${wanted}, got ${typeof value} ${show(value)}`)
      }
    }
  }

  // Runs one probe step; a step that throws is noted (the steps after it run on), and answers undefined.
  async step<T>(label: string, run: () => Promise<T>): Promise<{ value: T } | undefined> {
    try {
      return { value: await run() }
    } catch (err) {
      this.notes.push(`${label} failed while the shape check ran: ${describe(err)}`)
      return undefined
    }
  }

  // A step whose answer must be a record of `type`; answers the record, or undefined when the step threw.
  async read(type: string, source: string, fields: Record<string, FieldType>, run: () => Promise<unknown>): Promise<unknown> {
    const answer = await this.step(source, run)
    if (answer !== undefined) this.check(type, source, answer.value, fields)
    return answer?.value
  }
}

// Reads a record of every kind through every operation that answers one, checking each field's type.
async function probeRecords(plugin: StoragePlugin, report: FieldReport): Promise<void> {
  const user = newUser('shape')
  const users = (source: string, run: () => Promise<unknown>) => report.read('UserRecord', source, USER_FIELDS, run)
  await users('createUser', () => plugin.createUser(user))
  await users('findUserById', () => plugin.findUserById(user.id))
  await users('findUserByEmailKey', () => plugin.findUserByEmailKey(user.emailKey))
  await users('updateUser', () => plugin.updateUser(user.id, { name: 'Shape' }))
  const page = await report.step('listUsers', () => plugin.listUsers({ limit: 1 }))
  if (page !== undefined) {
    if (!Array.isArray(page.value?.users)) report.problems.push(`listUsers must answer { users: UserRecord[], next? }, got ${show(page.value)}`)
    else report.check('UserRecord', 'listUsers', page.value.users[0], USER_FIELDS)
  }
  const now = new Date()
  const { sessions, oneTimeTokens, credentials, rateLimits } = plugin
  if (sessions !== undefined) {
    const session = newSession(user.id, now, { method: 'kit-shape' })
    await report.read('SessionRecord', 'sessions.createSession', SESSION_FIELDS, () => sessions.createSession(session))
    await report.read('SessionRecord', 'sessions.findSession', SESSION_FIELDS, () => sessions.findSession(session.id))
  }
  if (oneTimeTokens !== undefined) {
    const token = newToken(user.id, now)
    await report.read('OneTimeTokenRecord', 'oneTimeTokens.createToken', TOKEN_FIELDS, () => oneTimeTokens.createToken(token))
    await report.read('OneTimeTokenRecord', 'oneTimeTokens.lookupToken', TOKEN_FIELDS, () => oneTimeTokens.lookupToken(token.purpose, token.secretHash))
  }
  if (credentials !== undefined) {
    const credential = newCredential(user.id)
    await report.read('CredentialRecord', 'credentials.createCredential', CREDENTIAL_FIELDS, () => credentials.createCredential(credential))
    await report.read('CredentialRecord', 'credentials.findCredential', CREDENTIAL_FIELDS, () => credentials.findCredential(user.id, credential.id))
  }
  if (rateLimits !== undefined) {
    await report.read('CounterState', 'rateLimits.hit', COUNTER_FIELDS, () => rateLimits.hit('shape', 60, now.getTime()))
  }
}

/** Inspects a plugin made by `options.create`: what it offers, what it lacks, and its records' field types. */
export async function inspectContract(options: StorageConformanceOptions): Promise<ContractShape> {
  const scope = newScope()
  const report = new FieldReport()
  const offers = new Set<OptionalMember>()
  let plugin: StoragePlugin | undefined
  try {
    plugin = await options.create(scope)
    for (const member of ['sessions', 'rateLimits', 'oneTimeTokens', 'credentials'] as const) if (plugin[member] !== undefined) offers.add(member)
    const missing = missingOperations(plugin)
    if (missing.length > 0) {
      // Word for word what ready() refuses such a plugin with.
      report.problems.push(`ERR_AUTH_STORAGE_INCOMPLETE: Storage plugin '${String(plugin.name ?? 'unnamed')}' does not implement: ${missing.join(', ')}`)
    } else if (await report.step('init', () => plugin!.init()) !== undefined) {
      await probeRecords(plugin, report)
    }
  } catch (err) {
    report.notes.push(`create failed while the shape check ran: ${describe(err)}`)
  } finally {
    if (typeof plugin?.close === 'function') await report.step('close', () => plugin!.close())
    await report.step('destroy', async () => options.destroy?.(scope))
  }
  return { problems: report.problems, notes: report.notes, offers }
}

/** Registers the shape check's subtest, reporting `shape`. */
export function contractShapeCase(t: ConformanceTest, shape: () => Promise<ContractShape>): void {
  t.test('every operation is there, and records have the contract\'s field types', async (t) => {
    const { problems, notes } = await shape()
    for (const problem of problems) t.fail(problem)
    for (const note of notes) t.comment(note)
    t.ok(problems.length === 0, problems.length === 0
      ? 'the plugin is whole and its records are well typed'
      : 'fix the above first: the other groups are skipped, since each would only repeat it')
  })
}
