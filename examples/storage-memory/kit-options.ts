/**
 * How the conformance kit runs this plugin: the plugins of one scope share
 * one database, as instances of an app share one database server, so the
 * cross-instance cases run; `breakConnection` ends that database under them.
 */
import type { StorageConformanceOptions } from '../../plugins/testing/index.js'
import { MemoryDatabase, memoryStorage } from './memory-storage.js'

/** The kit's options, and the database each scope's plugins share. */
export interface MemoryKitOptions extends StorageConformanceOptions {
  database(scope: string): MemoryDatabase
}

/** Options for `runStorageConformance` over {@link memoryStorage}. */
export function memoryKitOptions(): MemoryKitOptions {
  const databases = new Map<string, MemoryDatabase>()
  const database = (scope: string) => {
    let found = databases.get(scope)
    if (found === undefined) databases.set(scope, (found = new MemoryDatabase()))
    return found
  }
  return {
    name: 'memory',
    database,
    create: (scope) => memoryStorage({ database: database(scope) }),
    // After every plugin of the scope is closed: the database was lent to them, so ending it is ours.
    destroy: (scope) => {
      databases.get(scope)?.end()
      databases.delete(scope)
    },
    breakConnection: (_plugin, scope) => database(scope).end(),
  }
}
