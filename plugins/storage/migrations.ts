/**
 * Schema migrations: the users table, the sessions table and the rate-limit
 * counters table. Every step is idempotent and runs under the engine's
 * migration lock, so init() may run twice, or in two processes at once.
 * Applied versions are recorded in the migrations table, one name per table
 * and version (`<table>:<n>`), so a database made by an older AuthCore gains
 * the new tables in place and a renamed table is created afresh.
 */
import { sql } from 'kysely'
import { AuthError } from '../../lib/errors.js'
import type { AnyKysely, StorageEngine } from './storage-engine.js'
import { RATE_LIMIT_COLUMNS, SESSION_COLUMNS, USER_COLUMNS, emailKeyIndexName, sessionIndexNames } from './storage-engine.js'
import type { AdoptionConflict, ResolvedTableNames } from './storage-options.js'
import { backfillEmailKeys } from './email-key-backfill.js'

/** Creates or upgrades the tables; returns the adoption conflicts found. */
export async function migrate(engine: StorageEngine, tables: ResolvedTableNames): Promise<AdoptionConflict[]> {
  return engine.withMigrationLock(async (db) => {
    const types = await engine.columnTypes(db)
    await sql`create table if not exists ${sql.table(tables.migrations)} (
      ${sql.ref('name')} varchar(190) not null primary key,
      ${sql.ref('applied_at')} ${sql.raw(types.created_at)}
    )${sql.raw(await engine.createTableSuffix(db))}`.execute(db)

    const steps: [version: string, run: () => Promise<void>][] = [
      [`${tables.users}:1`, () => usersV1(db, engine, tables.users, types)],
      [`${tables.sessions}:1`, () => sessionsV1(db, engine, tables.sessions)],
      [`${tables.rateLimits}:1`, () => rateLimitsV1(db, engine, tables.rateLimits)],
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
 * Version 1: the users table with Space Cloud's columns plus AuthCore's. An
 * existing table (a Space Cloud one, perhaps with columns of its own) keeps
 * every row and column; only the missing columns are added.
 */
async function usersV1(db: AnyKysely, engine: StorageEngine, table: string, types: Record<string, string>): Promise<void> {
  const existing = await engine.existingColumns(db, table)
  if (existing.size === 0) {
    const columns = USER_COLUMNS.map((c) => sql`${sql.ref(c)} ${sql.raw(types[c] ?? '')}`)
    await sql`create table if not exists ${sql.table(table)} (${sql.join(columns)})${sql.raw(await engine.createTableSuffix(db))}`
      .execute(db)
  } else {
    if (!existing.has('id')) {
      throw new AuthError('ERR_AUTH_STORAGE_FAILED', `The existing table ${table} has no id column, so AuthCore cannot adopt it`)
    }
    for (const column of USER_COLUMNS) {
      if (existing.has(column)) continue
      await engine.addColumn(db, table, column, types[column] ?? '')
    }
    // SQLite cannot add a column with a non-constant default, so adopted
    // rows get their timestamps here (a no-op where the default filled them).
    const now = engine.encodeTime(new Date())
    await db.updateTable(table).set({ created_at: now }).where('created_at', 'is', null).execute()
    await db.updateTable(table).set({ updated_at: now }).where('updated_at', 'is', null).execute()
  }
  await engine.createUniqueIndex(db, table, emailKeyIndexName(table), 'email_key')
}

/**
 * Version 1 of the sessions table: one row per refresh session, grouped in
 * rotation families; indexed by family and by user for the revocations.
 */
async function sessionsV1(db: AnyKysely, engine: StorageEngine, table: string): Promise<void> {
  const types = await engine.sessionColumnTypes(db)
  const columns = SESSION_COLUMNS.map((c) => sql`${sql.ref(c)} ${sql.raw(types[c])}`)
  await sql`create table if not exists ${sql.table(table)} (${sql.join(columns)})${sql.raw(await engine.createTableSuffix(db))}`
    .execute(db)
  const indexes = sessionIndexNames(table)
  await engine.createIndex(db, table, indexes.family, ['family_id'])
  await engine.createIndex(db, table, indexes.user, ['user_id'])
}

/** Version 1 of the counters table: one fixed window per key. */
async function rateLimitsV1(db: AnyKysely, engine: StorageEngine, table: string): Promise<void> {
  const types = await engine.rateLimitColumnTypes(db)
  const columns = RATE_LIMIT_COLUMNS.map((c) => sql`${sql.ref(c)} ${sql.raw(types[c])}`)
  await sql`create table if not exists ${sql.table(table)} (${sql.join(columns)})${sql.raw(await engine.createTableSuffix(db))}`
    .execute(db)
}
