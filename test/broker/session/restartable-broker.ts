import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { Broker, type BrokerDependencies } from '../../../broker/broker.js'
import type { BrokerOptions } from '../../../broker/options.js'
import { MemoryStore } from '../../../broker/store/memory.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import type { Store } from '../../../broker/store/store.js'

type ListenerSpec = Parameters<Broker['listen']>[0]

export type StoreKind = 'memory' | 'sqlite'

/** A broker on either store that can be restarted on the same state: the memory store's instance, or the SQLite data directory. */
export interface RestartableBroker {
  readonly port: number
  /** Closes the broker and starts a new one on the same store (a new port). */
  restart(): Promise<void>
}

/** How the broker is made: its options, its other parts (auth, logger), and its one listener. */
export interface BrokerSetup {
  options?: Partial<BrokerOptions>
  dependencies?: Omit<BrokerDependencies, 'store'>
  listen?: Partial<ListenerSpec>
}

export async function startRestartableBroker(t: TestContext, kind: StoreKind, setup: BrokerSetup = {}): Promise<RestartableBroker> {
  const dataDir = kind === 'sqlite' ? mkdtempSync(join(tmpdir(), 'thermopost-session-')) : undefined
  const memory = new MemoryStore()
  const makeStore = (): Store => (dataDir === undefined ? memory : new SqliteStore({ dataDir }))
  let broker: Broker | undefined
  let port = 0
  const start = async (): Promise<void> => {
    broker = new Broker({ sysInterval: 0, ...setup.options }, { ...setup.dependencies, store: makeStore() })
    port = (await broker.listen({ host: '127.0.0.1', port: 0, ...setup.listen } as ListenerSpec)).port
  }
  t.after(async () => {
    await broker?.close()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })
  await start()
  return {
    get port() {
      return port
    },
    async restart() {
      await broker?.close()
      broker = undefined
      await start()
    }
  }
}
