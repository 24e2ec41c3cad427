/**
 * The credential operations. Every read and write by id names the user too,
 * so another user's id reaches nothing; an update applies only at the
 * version the caller read, and advances it by one.
 */
import {
  AuthError, MAX_CREDENTIAL_DATA_BYTES, UsageError, type CredentialRecord, type CredentialStore,
} from '../../lib/index.js'
import { copy, date, jsonObject, key, LIMITS, object, text } from './arguments.js'
import type { Run, Tables } from './database.js'
import { byBytes } from './users.js'

function kindOf(value: unknown, operation: string): string | undefined {
  return value === undefined ? undefined : key(value, `${operation}: kind`, LIMITS.kind)
}

// The user's credentials, of `kind` when given.
function owned(tables: Tables, userId: string, kind: string | undefined): Readonly<CredentialRecord>[] {
  return [...tables.credentials.values()].filter((c) => c.userId === userId && (kind === undefined || c.kind === kind))
}

/** The credential operations, reaching the tables through `run`. */
export function credentialStore(run: Run): CredentialStore {
  return {
    async createCredential(input) {
      object(input, 'createCredential: credential')
      const fields = {
        id: key(input.id, 'createCredential: credential.id', LIMITS.id),
        userId: key(input.userId, 'createCredential: credential.userId', LIMITS.userId),
        kind: key(input.kind, 'createCredential: credential.kind', LIMITS.kind),
        subject: key(input.subject, 'createCredential: credential.subject', LIMITS.subject),
        data: jsonObject(input.data, 'createCredential: credential.data', MAX_CREDENTIAL_DATA_BYTES),
      }
      return run((tables) => {
        if (tables.credentials.has(fields.id)) throw new AuthError('ERR_AUTH_STORAGE_FAILED', 'A credential with this id exists')
        for (const other of tables.credentials.values()) {
          if (other.kind === fields.kind && other.subject === fields.subject) throw new AuthError('ERR_AUTH_CREDENTIAL_EXISTS')
        }
        const credential = Object.freeze({ ...fields, version: 0, createdAt: new Date(), lastUsedAt: null })
        tables.credentials.set(credential.id, credential)
        return copy(credential)
      })
    },

    async findCredentialBySubject(kind, subject) {
      key(kind, 'findCredentialBySubject: kind', LIMITS.kind)
      key(subject, 'findCredentialBySubject: subject', LIMITS.subject)
      return run((tables) => copy([...tables.credentials.values()].find((c) => c.kind === kind && c.subject === subject)))
    },

    async findCredential(userId, id) {
      text(userId, 'findCredential: userId')
      text(id, 'findCredential: id')
      return run((tables) => {
        const credential = tables.credentials.get(id)
        return credential?.userId === userId ? copy(credential) : undefined
      })
    },

    async listCredentials(userId, kind) {
      text(userId, 'listCredentials: userId')
      const only = kindOf(kind, 'listCredentials')
      return run((tables) => owned(tables, userId, only)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || byBytes(a.id, b.id))
        .map(copy))
    },

    async updateCredential(userId, id, expectedVersion, patch) {
      text(userId, 'updateCredential: userId')
      text(id, 'updateCredential: id')
      if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
        throw new UsageError('updateCredential: expectedVersion must be a non-negative integer')
      }
      object(patch, 'updateCredential: patch')
      const set: Partial<CredentialRecord> = {}
      if (patch.data !== undefined) set.data = jsonObject(patch.data, 'updateCredential: patch.data', MAX_CREDENTIAL_DATA_BYTES)
      if (patch.lastUsedAt !== undefined) set.lastUsedAt = date(patch.lastUsedAt, 'updateCredential: patch.lastUsedAt')
      return run((tables) => {
        const credential = tables.credentials.get(id)
        if (credential?.userId !== userId || credential.version !== expectedVersion) return undefined
        const next = Object.freeze({ ...credential, ...set, version: expectedVersion + 1 })
        tables.credentials.set(id, next)
        return copy(next)
      })
    },

    async deleteCredential(userId, id) {
      text(userId, 'deleteCredential: userId')
      text(id, 'deleteCredential: id')
      return run((tables) => tables.credentials.get(id)?.userId === userId && tables.credentials.delete(id))
    },

    async deleteUserCredentials(userId, kind) {
      text(userId, 'deleteUserCredentials: userId')
      const only = kindOf(kind, 'deleteUserCredentials')
      return run((tables) => owned(tables, userId, only).filter((c) => tables.credentials.delete(c.id)).length)
    },
  }
}
