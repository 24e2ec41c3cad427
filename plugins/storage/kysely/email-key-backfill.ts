/**
 * Adoption: fills `email_key` for rows that have an email but no key (rows
 * written by Space Cloud or another application), in batches, in JavaScript
 * so every engine computes the same canonical key as the core.
 *
 * Two rows whose emails collapse to the same key cannot both hold it: the row
 * already holding the key keeps it, otherwise the one with the smallest id; the
 * other row keeps a NULL key (no lookup matches NULL) and is reported.
 */
import { sql } from 'kysely'
import { normalizeEmail } from '../../../lib/index.js'
import type { AnyKysely } from './storage-engine.js'
import type { AdoptionConflict } from './storage-options.js'

const BATCH = 500

/**
 * The canonical email key, exactly as the core computes it, or `''` for an
 * address the core refuses (invisible characters, a domain UTS-46 rejects, an
 * over-long key): sign-in could never reach such a row by email, so it gets
 * no key rather than one no lookup will produce.
 */
export function canonicalEmailKey(email: string): string {
  try {
    return normalizeEmail(email).key
  } catch {
    return ''
  }
}

/** Backfills missing keys; returns the rows left without one because of a collision. */
export async function backfillEmailKeys(db: AnyKysely, table: string): Promise<AdoptionConflict[]> {
  const conflicts: AdoptionConflict[] = []
  let after: string | undefined
  for (;;) {
    let query = db.selectFrom(table).select(['id', 'email'])
      .where('email_key', 'is', null).where('email', 'is not', null)
    if (after !== undefined) query = query.where('id', '>', after)
    const rows = (await query.orderBy('id').limit(BATCH).execute()) as { id: string; email: string }[]
    if (rows.length === 0) return conflicts
    after = rows[rows.length - 1]!.id

    // Candidates per key, in id order (the query's order).
    const byKey = new Map<string, string[]>()
    for (const row of rows) {
      const key = canonicalEmailKey(String(row.email))
      if (key === '') continue // a blank or refused email is no identity to collide over
      const ids = byKey.get(key)
      if (ids === undefined) byKey.set(key, [row.id])
      else ids.push(row.id)
    }
    if (byKey.size === 0) continue

    const held = new Map<string, string>()
    const heldRows = (await db.selectFrom(table).select(['id', 'email_key'])
      .where('email_key', 'in', [...byKey.keys()]).execute()) as { id: string; email_key: string }[]
    for (const row of heldRows) held.set(row.email_key, row.id)

    const updates = new Map<string, string>()
    for (const [key, ids] of byKey) {
      const holder = held.get(key)
      const keeper = holder ?? ids[0]!
      if (holder === undefined) updates.set(key, keeper)
      for (const id of ids) if (id !== keeper) conflicts.push({ id, keptId: keeper })
    }
    if (updates.size > 0) await setKeys(db, table, updates)
  }
}

// One UPDATE per batch: CASE maps each id to its key.
async function setKeys(db: AnyKysely, table: string, keys: Map<string, string>): Promise<void> {
  const cases = [...keys].map(([key, id]) => sql`when ${id} then ${key}`)
  const ids = [...keys.values()].map((id) => sql`${id}`)
  await sql`update ${sql.table(table)} set ${sql.ref('email_key')} = case ${sql.ref('id')} ${sql.join(cases, sql` `)} end
    where ${sql.ref('id')} in (${sql.join(ids)})`.execute(db)
}
