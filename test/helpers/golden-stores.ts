import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { drainQueue } from '../../broker/store/conformance.js'
import { SqliteStore } from '../../broker/store/sqlite.js'
import { connect, type Database } from '../../broker/store/sqlite-schema.js'
import type { StoreSnapshot } from '../../broker/store/store.js'
import { StoreOpenError } from '../../broker/store/store-open-error.js'

// Compiled to dist/test/helpers/: the fixtures stay in the source tree.
export const golden = new URL('../../../test/broker/store/golden/', import.meta.url)

/** A temp data dir holding a copy of the golden file as broker.db (the committed fixture is never opened). */
export function dataDirWith(t: TestContext, fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-golden-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  copyFileSync(new URL(fixture, golden), join(dir, 'broker.db'))
  return dir
}

export async function openFails(t: TestContext, dataDir: string, pattern: RegExp): Promise<StoreOpenError> {
  const store = new SqliteStore({ dataDir })
  t.after(() => store.close())
  let caught: unknown
  await store.open().catch((error: unknown) => {
    caught = error
  })
  assert.ok(caught instanceof StoreOpenError, `expected StoreOpenError, got ${String(caught)}`)
  assert.match(caught.message, pattern)
  return caught
}

/** The damaged golden file `fixture` stops the store as damaged, and is left as it was. */
export async function assertDamagedGoldenStops(t: TestContext, fixture: string): Promise<void> {
  const dataDir = dataDirWith(t, fixture)
  const error = await openFails(t, dataDir, /malformed|corrupt|quick_check/i)
  assert.equal(error.damaged, true)
  assert.deepEqual(readFileSync(join(dataDir, 'broker.db')), readFileSync(new URL(fixture, golden)))
}

/** Runs `check` on a connection of its own to the store's file in `dataDir` (no store may have it open). */
export function inFile(dataDir: string, check: (db: Database) => void): void {
  const db = connect(join(dataDir, 'broker.db'), { fileMustExist: true })
  try {
    check(db)
  } finally {
    db.close()
  }
}

/** A store opened on `dataDir`, closed after the test, with what it restored. */
export async function openedStore(t: TestContext, dataDir: string): Promise<{ store: SqliteStore; snapshot: StoreSnapshot }> {
  const store = new SqliteStore({ dataDir })
  t.after(() => store.close())
  return { store, snapshot: await store.open() }
}

/** The golden files' queue of 'panel', as drained: every version holds the same one. */
export const PANEL_QUEUE = ['21.5', '21.7', '22.0']

/** What every golden file from v2 on holds for 'panel': its in-flight messages, inbound QoS 2 id and queue. */
export async function assertGoldenPanel(store: SqliteStore, snapshot: StoreSnapshot): Promise<void> {
  const panel = snapshot.sessions.find((s) => s.record.clientId === 'panel')!
  assert.deepEqual(
    panel.inflight.map((r) => [r.packetId, r.state, r.delivery.message.id]),
    [
      [1, 'publish', 9],
      [2, 'pubrel', 8]
    ]
  )
  assert.deepEqual(panel.incomingQos2, [42])
  assert.deepEqual(
    (await drainQueue(store.queue('panel'))).map((d) => d.message.payload.toString()),
    PANEL_QUEUE
  )
}
