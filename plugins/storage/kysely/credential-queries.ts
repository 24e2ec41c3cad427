/**
 * The CredentialStore operations written once in kysely. One instance serves
 * the plugin itself, another each transaction (bound to it).
 *
 * Every read and write by id also names the user (`WHERE id = ? AND user_id
 * = ?`), so no caller reaches another user's credential. (kind, subject) is
 * unique in the database, and an update compares the version in the very
 * statement that advances it.
 */
import type { CredentialPatch, CredentialRecord, CredentialStore, NewCredential } from '../../../lib/index.js'
import { MAX_CREDENTIAL_DATA_BYTES, UsageError } from '../../../lib/index.js'
import { assertDate, assertKey, assertObject, assertString, copyDate } from './arguments.js'
import { updateOne } from './conditional-update.js'
import { decodeJsonObject, encodeJsonObject } from './json-column.js'
import { toDate } from './row-mapping.js'
import { CREDENTIAL_COLUMNS } from './storage-engine.js'
import { TableStore } from './table-store.js'

/** Longest kind, in characters (varchar(64) on Postgres and MySQL). */
const MAX_KIND_LENGTH = 64
/** Longest subject, in characters (varchar(255) on Postgres and MySQL, within MySQL's index key limit). */
const MAX_SUBJECT_LENGTH = 255
// Sized like the sessions table's columns on MySQL.
const MAX_ID_LENGTH = 128
const MAX_USER_ID_LENGTH = 255

/** A credentials row as the drivers return it. */
interface CredentialRow {
  id: string
  user_id: string
  kind: string
  subject: string
  data: string | Buffer
  version: number | string
  created_at: Date | number | string
  last_used_at: Date | number | string | null
}

/** CredentialStore over a kysely instance or transaction. */
export class KyselyCredentialStore extends TableStore implements CredentialStore {
  async createCredential(credential: NewCredential): Promise<CredentialRecord> {
    assertObject(credential, 'createCredential: credential')
    assertKey(credential.id, 'createCredential: credential.id', MAX_ID_LENGTH)
    assertKey(credential.userId, 'createCredential: credential.userId', MAX_USER_ID_LENGTH)
    assertKey(credential.kind, 'createCredential: credential.kind', MAX_KIND_LENGTH)
    assertKey(credential.subject, 'createCredential: credential.subject', MAX_SUBJECT_LENGTH)
    const row: CredentialRow = {
      id: credential.id, user_id: credential.userId, kind: credential.kind, subject: credential.subject,
      data: encodeJsonObject(credential.data, 'createCredential: credential.data', MAX_CREDENTIAL_DATA_BYTES),
      version: 0, created_at: this.engine.encodeTime(new Date()) as CredentialRow['created_at'], last_used_at: null,
    }
    return this.query(async () => {
      await this.db.insertInto(this.table).values(row).execute()
      return mapCredentialRow(row)
    })
  }

  async findCredentialBySubject(kind: string, subject: string): Promise<CredentialRecord | undefined> {
    assertKey(kind, 'findCredentialBySubject: kind', MAX_KIND_LENGTH)
    assertKey(subject, 'findCredentialBySubject: subject', MAX_SUBJECT_LENGTH)
    return this.#findOne('kind', kind, 'subject', subject)
  }

  async findCredential(userId: string, id: string): Promise<CredentialRecord | undefined> {
    assertString(userId, 'findCredential: userId')
    assertString(id, 'findCredential: id')
    return this.#findOne('user_id', userId, 'id', id)
  }

  async listCredentials(userId: string, kind?: string): Promise<CredentialRecord[]> {
    assertString(userId, 'listCredentials: userId')
    if (kind !== undefined) assertKey(kind, 'listCredentials: kind', MAX_KIND_LENGTH)
    return this.query(async () => {
      let query = this.db.selectFrom(this.table).select([...CREDENTIAL_COLUMNS]).where('user_id', '=', userId)
      if (kind !== undefined) query = query.where('kind', '=', kind)
      // The id breaks ties between credentials created in the same millisecond, so the order is stable.
      const rows = await query.orderBy('created_at').orderBy('id').execute()
      return (rows as CredentialRow[]).map(mapCredentialRow)
    })
  }

  async updateCredential(userId: string, id: string, expectedVersion: number, patch: CredentialPatch): Promise<CredentialRecord | undefined> {
    assertString(userId, 'updateCredential: userId')
    assertString(id, 'updateCredential: id')
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new UsageError('updateCredential: expectedVersion must be a non-negative integer')
    }
    // The new version is a value, not `version + 1`, so the row as written is known without a read-back;
    // the `version = expectedVersion` condition in the same statement makes the two the same.
    const set: Record<string, unknown> = { version: expectedVersion + 1 }
    assertObject(patch, 'updateCredential: patch')
    if (patch.data !== undefined) set.data = encodeJsonObject(patch.data, 'updateCredential: patch.data', MAX_CREDENTIAL_DATA_BYTES)
    if (patch.lastUsedAt !== undefined) {
      assertDate(patch.lastUsedAt, 'updateCredential: patch.lastUsedAt')
      set.last_used_at = this.engine.encodeTime(copyDate(patch.lastUsedAt))
    }
    return this.query(async () => {
      const row = await updateOne(this.db, this.engine, this.table, CREDENTIAL_COLUMNS,
        [['id', '=', id], ['user_id', '=', userId], ['version', '=', expectedVersion]], set)
      return row === undefined ? undefined : mapCredentialRow(row as unknown as CredentialRow)
    })
  }

  async deleteCredential(userId: string, id: string): Promise<boolean> {
    assertString(userId, 'deleteCredential: userId')
    assertString(id, 'deleteCredential: id')
    return this.query(async () => {
      const result = await this.db.deleteFrom(this.table).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
      return result.numDeletedRows > 0n
    })
  }

  async deleteUserCredentials(userId: string, kind?: string): Promise<number> {
    assertString(userId, 'deleteUserCredentials: userId')
    if (kind !== undefined) assertKey(kind, 'deleteUserCredentials: kind', MAX_KIND_LENGTH)
    return this.query(async () => {
      let query = this.db.deleteFrom(this.table).where('user_id', '=', userId)
      if (kind !== undefined) query = query.where('kind', '=', kind)
      return Number((await query.executeTakeFirst()).numDeletedRows)
    })
  }

  // The row matching both columns, mapped (a unique key: id, or kind and subject).
  async #findOne(a: string, aValue: string, b: string, bValue: string): Promise<CredentialRecord | undefined> {
    return this.query(async () => {
      const row = await this.db.selectFrom(this.table).select([...CREDENTIAL_COLUMNS])
        .where(a, '=', aValue).where(b, '=', bValue).executeTakeFirst()
      return row === undefined ? undefined : mapCredentialRow(row as CredentialRow)
    })
  }
}

/** Maps a row (or the row just written) to a record with its own Dates and data object. */
function mapCredentialRow(row: CredentialRow): CredentialRecord {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    subject: row.subject,
    data: decodeJsonObject(row.data),
    version: Number(row.version),
    createdAt: toDate(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : toDate(row.last_used_at),
  }
}
