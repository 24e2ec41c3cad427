/**
 * Schema migrations: the users table, the sessions table, the rate-limit
 * counters table, the one-time-tokens table and the credentials table. Every
 * step is idempotent and runs under the engine's migration lock, so init()
 * may run twice, or in two processes at once.
 * Applied versions are recorded in the migrations table, one name per table
 * and version (`<table>:<n>`), so a database made by an older AuthCore gains
 * the new tables and columns in place and a renamed table is created afresh.
 */
import { sql } from 'kysely'
import { AuthError } from '../../../lib/index.js'
import type { AnyKysely, ColumnTypes, StorageEngine } from './storage-engine.js'
import {
  CREDENTIAL_COLUMNS, ONE_TIME_TOKEN_COLUMNS, RATE_LIMIT_COLUMNS, SESSION_COLUMNS, USER_COLUMNS,
  credentialIndexNames, emailKeyIndexName, oneTimeTokenIndexNames, sessionIndexNames,
} from './storage-engine.js'
import type { AdoptionConflict, ResolvedTableNames } from './storage-options.js'
import { backfillEmailKeys } from './email-key-backfill.js'

/** Creates or upgrades the tables; returns the adoption conflicts found. */
export async function migrate(engine: StorageEngine, tables: ResolvedTableNames): Promise<AdoptionConflict[]> {
  return engine.withMigrationLock(async (db) => {
    const types = await engine.columnTypes(db)
    await sql`create table if not exists ${sql.table(tables.migrations)} (
      ${sql.ref('name')} varchar(190) not null primary key,
      ${sql.ref('applied_at')} ${sql.raw(types.users.created_at)}
    )${sql.raw(await engine.createTableSuffix(db))}`.execute(db)

    const steps: [version: string, run: () => Promise<void>][] = [
      [`${tables.users}:1`, () => usersV1(db, engine, tables.users, types.users)],
      [`${tables.users}:2`, () => usersV2(db, engine, tables.users, types.users)],
      [`${tables.sessions}:1`, () => sessionsV1(db, engine, tables.sessions, types.sessions)],
      [`${tables.sessions}:2`, () => sessionsV2(db, engine, tables.sessions, types.sessions)],
      [`${tables.rateLimits}:1`, () => rateLimitsV1(db, engine, tables.rateLimits, types.rateLimits)],
      [`${tables.oneTimeTokens}:1`, () => oneTimeTokensV1(db, engine, tables.oneTimeTokens, types.oneTimeTokens)],
      [`${tables.oneTimeTokens}:2`, () => oneTimeTokensV2(db, engine, tables.oneTimeTokens, types.oneTimeTokens)],
      [`${tables.credentials}:1`, () => credentialsV1(db, engine, tables.credentials, types.credentials)],
    ]
    for (const [version, run] of steps) {
      const applied = await db.selectFrom(tables.migrations).select('name').where('name', '=', version).executeTakeFirst()
      if (applied !== undefined) continue
      await run()
      await db.insertInto(tables.migrations)
        .values({ name: version, applied_at: engine.encodeTime(new Date()) })
        .execute()
    }
    // Runs on every init: cheap (the NULL keys are indexed) and keeps the
    // reported conflicts true to the rows as they are now.
    return backfillEmailKeys(db, tables.users)
  })
}

/**
 * Version 1: the users table with Space Cloud's columns plus AuthCore's (all
 * of {@link USER_COLUMNS}, so a table made or adopted now has the later
 * versions' columns already). An existing table (a Space Cloud one, perhaps
 * with columns of its own) keeps every row and column; only the missing
 * columns are added.
 */
async function usersV1(db: AnyKysely, engine: StorageEngine, table: string, types: ColumnTypes['users']): Promise<void> {
  const existing = await engine.existingColumns(db, table)
  if (existing.size === 0) {
    await createTable(db, engine, table, USER_COLUMNS, types)
  } else {
    if (!existing.has('id')) {
      throw new AuthError('ERR_AUTH_STORAGE_FAILED', `The existing table ${table} has no id column, so AuthCore cannot adopt it`)
    }
    for (const column of USER_COLUMNS) {
      if (existing.has(column)) continue
      await engine.addColumn(db, table, column, types[column])
    }
    // SQLite cannot add a column with a non-constant default, so adopted
    // rows get their timestamps here (a no-op where the default filled them).
    const now = engine.encodeTime(new Date())
    await db.updateTable(table).set({ created_at: now }).where('created_at', 'is', null).execute()
    await db.updateTable(table).set({ updated_at: now }).where('updated_at', 'is', null).execute()
  }
  await engine.createIndex(db, table, emailKeyIndexName(table), ['email_key'], true)
}

/**
 * Version 2: `email_verified`, for a users table that version 1 of an older
 * AuthCore made or adopted before the column existed. Added in place as NOT
 * NULL with a default of false, so every existing row reads as unverified; a
 * no-op where version 1 already created it.
 */
async function usersV2(db: AnyKysely, engine: StorageEngine, table: string, types: ColumnTypes['users']): Promise<void> {
  await addMissingColumn(db, engine, table, 'email_verified', types.email_verified)
}

/**
 * Adds `column` of `type` to `table` unless it has it already: a later
 * version's column for a table an earlier version made, and a no-op where
 * that version's column list (made now) already included it.
 */
async function addMissingColumn(db: AnyKysely, engine: StorageEngine, table: string, column: string, type: string): Promise<void> {
  const existing = await engine.existingColumns(db, table)
  if (existing.has(column)) return
  await engine.addColumn(db, table, column, type)
}

/** `CREATE TABLE IF NOT EXISTS` with `columns` typed by `types`, in the engine's character set. */
async function createTable(db: AnyKysely, engine: StorageEngine, table: string, columns: readonly string[], types: Readonly<Record<string, string>>): Promise<void> {
  const definitions = columns.map((c) => sql`${sql.ref(c)} ${sql.raw(types[c] ?? '')}`)
  await sql`create table if not exists ${sql.table(table)} (${sql.join(definitions)})${sql.raw(await engine.createTableSuffix(db))}`
    .execute(db)
}

/**
 * Version 1 of the sessions table (all of {@link SESSION_COLUMNS}, so a table
 * made now has the later versions' columns already): one row per refresh
 * session, grouped in rotation families; indexed by family and by user for
 * the revocations.
 */
async function sessionsV1(db: AnyKysely, engine: StorageEngine, table: string, types: ColumnTypes['sessions']): Promise<void> {
  await createTable(db, engine, table, SESSION_COLUMNS, types)
  const indexes = sessionIndexNames(table)
  await engine.createIndex(db, table, indexes.family, ['family_id'])
  await engine.createIndex(db, table, indexes.user, ['user_id'])
}

/**
 * Version 2 of the sessions table: `method` (how the family signed in, for
 * the tokens' `amr`), for a table that version 1 of an older AuthCore made
 * before the column existed. Added in place as nullable, so every existing
 * session reads as signed in by an unknown method (its tokens carry no
 * `amr`); a no-op where version 1 already created it.
 */
async function sessionsV2(db: AnyKysely, engine: StorageEngine, table: string, types: ColumnTypes['sessions']): Promise<void> {
  await addMissingColumn(db, engine, table, 'method', types.method)
}

/** Version 1 of the counters table: one fixed window per key. */
async function rateLimitsV1(db: AnyKysely, engine: StorageEngine, table: string, types: ColumnTypes['rateLimits']): Promise<void> {
  await createTable(db, engine, table, RATE_LIMIT_COLUMNS, types)
}

/**
 * Version 1 of the one-time-tokens table (all of
 * {@link ONE_TIME_TOKEN_COLUMNS}, so a table made now has the later versions'
 * columns already): the secret hash is unique (a lookup is by it, and two
 * tokens never share a secret); (purpose, user_id) serves the revocations;
 * expires_at serves the purge.
 */
async function oneTimeTokensV1(db: AnyKysely, engine: StorageEngine, table: string, types: ColumnTypes['oneTimeTokens']): Promise<void> {
  await createTable(db, engine, table, ONE_TIME_TOKEN_COLUMNS, types)
  const indexes = oneTimeTokenIndexNames(table)
  await engine.createIndex(db, table, indexes.secret, ['secret_hash'], true)
  await engine.createIndex(db, table, indexes.user, ['purpose', 'user_id'])
  // The purge deletes by expiry.
  await engine.createIndex(db, table, indexes.expiry, ['expires_at'])
}

/**
 * Version 2 of the one-time-tokens table: `revoked`, for a table that version
 * 1 of an older AuthCore made before the column existed. Added in place as
 * NOT NULL with a default of false, so every existing token (usable, consumed
 * or revoked before the column existed) reads as not revoked; a no-op where
 * version 1 already created it.
 */
async function oneTimeTokensV2(db: AnyKysely, engine: StorageEngine, table: string, types: ColumnTypes['oneTimeTokens']): Promise<void> {
  await addMissingColumn(db, engine, table, 'revoked', types.revoked)
}

/**
 * Version 1 of the credentials table: (kind, subject) is unique across all
 * users, enforced here so concurrent registrations make one row; (user_id,
 * kind) serves a user's listings and deletions. No foreign key to the users
 * table, so an adopted one is never altered.
 */
async function credentialsV1(db: AnyKysely, engine: StorageEngine, table: string, types: ColumnTypes['credentials']): Promise<void> {
  await createTable(db, engine, table, CREDENTIAL_COLUMNS, types)
  const indexes = credentialIndexNames(table)
  await engine.createIndex(db, table, indexes.subject, ['kind', 'subject'], true)
  await engine.createIndex(db, table, indexes.user, ['user_id', 'kind'])
}
