import { test } from 'node:test'
import { storeConformance } from '../../../broker/store/conformance.js'
import { MemoryStore } from '../../../broker/store/memory.js'

storeConformance({
  test,
  makeStore: async () => new MemoryStore(),
  // A memory store outlives a broker in the same process: reopening is opening the same instance.
  reopen: async (store) => store
})
