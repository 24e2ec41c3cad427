/**
 * The credentials part of the storage contract: per-user records of a kind
 * (`'oidc'`, `'totp'`, `'passkey'`, ...), each with a subject unique within
 * its kind (an issuer + subject pair, a passkey credential id). A storage
 * plugin offers it as `storage.credentials`; a capability that needs it says
 * so and `ready()` refuses to start without it.
 *
 * Every read and write by id is scoped by user: no caller can reach another
 * user's credential by guessing its id. Updates are optimistic: the caller
 * names the version it read, and the write happens only if that is still the
 * stored version (compared in the same statement), so a TOTP step or a
 * passkey counter advances exactly once under concurrency.
 */

/** One credential as stored. */
export interface CredentialRecord {
  /** Random id: a non-empty string of at most 128 characters. */
  id: string
  /** The user holding it: a non-empty string of at most 255 characters. */
  userId: string
  /**
   * The kind, namespaced by its plugin where it is not a standard one. A non-empty string of at most 64
   * characters (UTF-16 code units), compared exactly; a longer one is a TypeError wherever a kind is passed.
   */
  kind: string
  /**
   * Unique within `kind` across all users, compared exactly. A non-empty string of at most 255 characters
   * (UTF-16 code units); a longer one is a TypeError wherever a subject is passed (hash a longer identifier first).
   */
  subject: string
  /**
   * A JSON object (at most {@link MAX_CREDENTIAL_DATA_BYTES} bytes of UTF-8 serialised). Secrets in it are the
   * plugin's to encrypt. Every record holds its own copy: changing a returned object never changes the store.
   */
  data: Record<string, unknown>
  /** Starts at 0; advanced by one on every update. */
  version: number
  /** When the store inserted it (the store's clock). */
  createdAt: Date
  /** Set by updates that say so; null until the first use. */
  lastUsedAt: Date | null
}

/** What a capability passes to create a credential. */
export type NewCredential = Pick<CredentialRecord, 'id' | 'userId' | 'kind' | 'subject' | 'data'>

/** Largest `data` a credential may hold, in bytes of its JSON. */
export const MAX_CREDENTIAL_DATA_BYTES = 16_384

/** A change to a credential: fields left out are unchanged. */
export interface CredentialPatch {
  data?: Record<string, unknown>
  lastUsedAt?: Date
}

/**
 * Credential operations, each atomic on its own. Every Date a record holds is
 * a new object. Caller misuse (a wrong type, an invalid Date, a kind, subject
 * or id over its length limit, `data` that is not a JSON object or is over
 * the size limit, an `expectedVersion` that is not a non-negative integer) is
 * a TypeError, before anything is written.
 */
export interface CredentialStore {
  /**
   * Inserts a credential at version 0; a duplicate (kind, subject) throws `ERR_AUTH_CREDENTIAL_EXISTS` (enforced
   * by the database), a duplicate id `ERR_AUTH_STORAGE_FAILED` (never overwritten).
   */
  createCredential(credential: NewCredential): Promise<CredentialRecord>
  /** The credential of this kind and subject, whoever holds it (how a sign-in finds its user). */
  findCredentialBySubject(kind: string, subject: string): Promise<CredentialRecord | undefined>
  /** The user's credential with this id, or undefined (also when it is another user's). */
  findCredential(userId: string, id: string): Promise<CredentialRecord | undefined>
  /** The user's credentials, of one kind when given, oldest first. */
  listCredentials(userId: string, kind?: string): Promise<CredentialRecord[]>
  /**
   * Applies `patch` only if the credential is the user's and its version is
   * still `expectedVersion`, advancing the version by one in the same
   * statement. Answers the new row, or undefined when nothing was written.
   */
  updateCredential(userId: string, id: string, expectedVersion: number, patch: CredentialPatch): Promise<CredentialRecord | undefined>
  /** Deletes the user's credential with this id; true when one was deleted. */
  deleteCredential(userId: string, id: string): Promise<boolean>
  /** Deletes every credential of the user (of one kind when given); returns how many. */
  deleteUserCredentials(userId: string, kind?: string): Promise<number>
}

/** Names of the credential operations. */
export const REQUIRED_CREDENTIAL_OPERATIONS = [
  'createCredential', 'findCredentialBySubject', 'findCredential', 'listCredentials', 'updateCredential',
  'deleteCredential', 'deleteUserCredentials',
] as const satisfies readonly (keyof CredentialStore)[]
