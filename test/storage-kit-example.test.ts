import t from 'tap'
import { runStorageConformance } from '../plugins/testing/index.js'
import { MemoryDatabase, memoryStorage } from '../examples/storage-memory/memory-storage.js'

const databases = new Map<string, MemoryDatabase>()
const databaseFor = (scope: string) => {
  let db = databases.get(scope)
  if (db === undefined) databases.set(scope, (db = new MemoryDatabase()))
  return db
}
runStorageConformance(t, {
  name: 'memory reference',
  create: (scope) => memoryStorage({ database: databaseFor(scope) }),
  destroy: (scope) => { databases.get(scope)?.end(); databases.delete(scope) },
  breakConnection: (_plugin, scope) => databaseFor(scope).end(),
})
