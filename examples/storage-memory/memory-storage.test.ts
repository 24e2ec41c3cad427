// The whole conformance kit against the memory plugin, under node:test (no
// tap needed): node --import=tsx --test examples/storage-memory/memory-storage.test.ts
import { test } from 'node:test'
import { fromNodeTest, runStorageConformance } from '../../plugins/testing/index.js'
import { memoryKitOptions } from './kit-options.js'

test('the memory storage plugin passes the conformance kit', async (t) => {
  await runStorageConformance(fromNodeTest(t), memoryKitOptions())
})
