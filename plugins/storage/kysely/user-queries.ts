/**
 * The UserStore operations written once in kysely. One instance serves the
 * plugin itself, another each transaction (bound to its `Transaction`).
 */
import type { CompiledQuery } from 'kysely'
import { sql } from 'kysely'
import { AuthError, UsageError } from '../../../lib/index.js'
import type { ListUsersQuery, NewUser, UserPage, UserPatch, UserRecord, UserStore } from '../../../lib/index.js'
import { MAX_PAGE_SIZE } from '../../../lib/index.js'
import { atomically } from './conditional-update.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import { toAuthError } from './error-mapping.js'
import { mapUserRow, type UserRow } from './row-mapping.js'
import type { AnyKysely, StorageEngine } from './storage-engine.js'
import { USER_COLUMNS } from './storage-engine.js'

/** The two hot-path selects, compiled once per plugin and re-run with new parameters. */
export interface CompiledLookups {
  readonly byId: CompiledQuery
  readonly byEmailKey: CompiledQuery
}

/** Compiles the lookups for `table` (the parameter is replaced on every call). */
export function compileLookups(db: AnyKysely, table: string): CompiledLookups {
  const select = () => db.selectFrom(table).select([...USER_COLUMNS])
  return Object.freeze({
    byId: select().where('id', '=', '').compile(),
    byEmailKey: select().where('email_key', '=', '').compile(),
  })
}

/** UserStore over a kysely instance or transaction. */
export class KyselyUserStore implements UserStore {
  readonly #db: AnyKysely
  readonly #engine: StorageEngine
  readonly #table: string
  readonly #lookups: CompiledLookups
  readonly #classify: StorageEngine['classify']

  constructor(db: AnyKysely, engine: StorageEngine, table: string, lookups: CompiledLookups) {
    this.#db = db
    this.#engine = engine
    this.#table = table
    this.#lookups = lookups
    this.#classify = engine.classify.bind(engine)
  }

  async createUser(user: NewUser): Promise<UserRecord> {
    assertNewUser(user)
    const emailVerified = user.emailVerified ?? false
    const now = new Date()
    const time = this.#engine.encodeTime(now)
    try {
      await this.#db.insertInto(this.#table).values({
        id: user.id, email: user.email, name: user.name, pass: user.passwordHash, role: user.role,
        email_key: user.emailKey, created_at: time, updated_at: time, token_version: 0,
        disabled: this.#engine.encodeBool(false), email_verified: this.#engine.encodeBool(emailVerified),
      }).execute()
    } catch (err) {
      throw toAuthError(err, this.#classify)
    }
    // The row is exactly what we sent, so no read-back round trip.
    return {
      id: user.id, email: user.email, emailKey: user.emailKey, name: user.name, role: user.role,
      passwordHash: user.passwordHash, tokenVersion: 0, disabled: false, emailVerified, createdAt: now, updatedAt: now,
    }
  }

  findUserById(id: string): Promise<UserRecord | undefined> {
    assertString(id, 'id')
    return this.#lookup(this.#lookups.byId, id)
  }

  findUserByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    assertString(emailKey, 'emailKey')
    return this.#lookup(this.#lookups.byEmailKey, emailKey)
  }

  async #lookup(query: CompiledQuery, parameter: string): Promise<UserRecord | undefined> {
    let rows: unknown[]
    try {
      rows = (await this.#db.executeQuery({ ...query, parameters: [parameter] })).rows
    } catch (err) {
      throw toAuthError(err, this.#classify)
    }
    const row = rows[0]
    return row === undefined ? undefined : mapUserRow(row as UserRow)
  }

  async updateUser(id: string, patch: UserPatch): Promise<UserRecord | undefined> {
    assertString(id, 'id')
    const set = this.#toSet(patch)
    const expected = expectedHash(patch)
    // The row to change: by id, and by its current hash when the patch is conditional.
    const target = <Q extends WhereBuilder<Q>>(query: Q): Q => {
      const byId = query.where('id', '=', id)
      if (expected === undefined) return byId
      return expected === null ? byId.where('pass', 'is', null) : byId.where('pass', '=', expected)
    }
    try {
      if (this.#engine.updateReturning) {
        const row = await target(this.#db.updateTable(this.#table).set(set))
          .returning([...USER_COLUMNS]).executeTakeFirst()
        return row === undefined ? undefined : mapUserRow(row as UserRow)
      }
      // No UPDATE ... RETURNING (MySQL, MariaDB): update then read back in one transaction.
      const run = async (db: AnyKysely) => {
        const result = await target(db.updateTable(this.#table).set(set)).executeTakeFirst()
        // A conditional update that matched nothing changed nothing: there is nothing to read back.
        if (expected !== undefined && result.numUpdatedRows === 0n) return undefined
        const row = await db.selectFrom(this.#table).select([...USER_COLUMNS]).where('id', '=', id).executeTakeFirst()
        return row === undefined ? undefined : mapUserRow(row as UserRow)
      }
      return await atomically(this.#db, run)
    } catch (err) {
      throw toAuthError(err, this.#classify)
    }
  }

  #toSet(patch: UserPatch): Record<string, unknown> {
    if (patch === null || typeof patch !== 'object') throw new UsageError('updateUser: patch must be an object')
    const set: Record<string, unknown> = { updated_at: this.#engine.encodeTime(new Date()) }
    if (patch.email !== undefined) set.email = stringField(patch.email, 'email')
    if (patch.emailKey !== undefined) {
      set.email_key = stringField(patch.emailKey, 'emailKey')
      if (patch.emailKey === '') throw new AuthError('ERR_AUTH_INPUT_INVALID', 'The email key is empty')
    }
    if (patch.name !== undefined) set.name = stringField(patch.name, 'name')
    if (patch.role !== undefined) set.role = stringField(patch.role, 'role')
    if (patch.passwordHash !== undefined) {
      if (patch.passwordHash !== null) stringField(patch.passwordHash, 'passwordHash')
      set.pass = patch.passwordHash
    }
    if (patch.disabled !== undefined) {
      if (typeof patch.disabled !== 'boolean') throw new UsageError('updateUser: patch.disabled must be a boolean')
      set.disabled = this.#engine.encodeBool(patch.disabled)
    }
    if (patch.emailVerified !== undefined) {
      if (typeof patch.emailVerified !== 'boolean') throw new UsageError('updateUser: patch.emailVerified must be a boolean')
      set.email_verified = this.#engine.encodeBool(patch.emailVerified)
    }
    if (patch.bumpTokenVersion === true) set.token_version = sql`${sql.ref('token_version')} + 1`
    return set
  }

  async listUsers(query: ListUsersQuery): Promise<UserPage> {
    if (query === null || typeof query !== 'object') throw new UsageError('listUsers: query must be an object')
    const { limit, cursor } = query
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new UsageError(`listUsers: limit must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    }
    const after = cursor === undefined ? undefined : decodeCursor(cursor)
    let rows: UserRow[]
    try {
      let select = this.#db.selectFrom(this.#table).select([...USER_COLUMNS])
      if (after !== undefined) select = select.where('id', '>', after)
      // One row more than asked tells whether another page exists.
      rows = (await select.orderBy('id').limit(limit + 1).execute()) as UserRow[]
    } catch (err) {
      throw toAuthError(err, this.#classify)
    }
    const users = rows.slice(0, limit).map(mapUserRow)
    const last = users[users.length - 1]
    return rows.length > limit && last !== undefined ? { users, next: encodeCursor(last.id) } : { users }
  }

  async deleteUser(id: string): Promise<boolean> {
    assertString(id, 'id')
    try {
      const result = await this.#db.deleteFrom(this.#table).where('id', '=', id).executeTakeFirst()
      return result.numDeletedRows > 0n
    } catch (err) {
      throw toAuthError(err, this.#classify)
    }
  }
}

/** The narrow slice of a kysely query builder `updateUser` filters with. */
interface WhereBuilder<Q> {
  where(column: string, op: '=' | 'is', value: string | null): Q
}

/** `patch.ifPasswordHash`, checked: undefined when the update is unconditional. */
function expectedHash(patch: UserPatch): string | null | undefined {
  const expected = patch.ifPasswordHash
  if (expected !== undefined && expected !== null && typeof expected !== 'string') {
    throw new UsageError('updateUser: patch.ifPasswordHash must be a string or null')
  }
  return expected
}

function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new UsageError(`${name} must be a string`)
}

function stringField(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new UsageError(`updateUser: patch.${name} must be a string`)
  return value
}

function assertNewUser(user: NewUser): void {
  if (user === null || typeof user !== 'object') throw new UsageError('createUser: user must be an object')
  for (const key of ['id', 'email', 'emailKey', 'name', 'role'] as const) {
    if (typeof user[key] !== 'string') throw new UsageError(`createUser: user.${key} must be a string`)
  }
  if (user.passwordHash !== null && typeof user.passwordHash !== 'string') {
    throw new UsageError('createUser: user.passwordHash must be a string or null')
  }
  if (user.emailVerified !== undefined && typeof user.emailVerified !== 'boolean') {
    throw new UsageError('createUser: user.emailVerified must be a boolean')
  }
  if (user.emailKey === '') throw new AuthError('ERR_AUTH_INPUT_INVALID', 'The email key is empty')
}
