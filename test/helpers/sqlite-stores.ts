import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { after } from 'node:test'
import { SqliteStore } from '../../broker/store/sqlite.js'
import { connect } from '../../broker/store/sqlite-schema.js'
import type { SessionRecord } from '../../broker/store/store.js'

/** SQLite stores on fresh directories for a test file; every directory goes when the file's tests are done. */
const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-sqlite-'))
  dirs.push(dir)
  return dir
}

/** An open store on a fresh directory, closed after the test. */
export async function openStore(t: TestContext, options: { batchLimit?: number; maxPages?: number } = {}): Promise<SqliteStore> {
  const store = new SqliteStore({ dataDir: tempDir(), ...options })
  t.after(() => store.close())
  await store.open()
  return store
}

/** The store closed and opened again on its directory, as a restart would; closed after the test. */
export async function reopened(t: TestContext, store: SqliteStore): Promise<SqliteStore> {
  await store.close()
  const again = new SqliteStore({ dataDir: store.file.replace(/\/broker\.db$/, '') })
  t.after(() => again.close())
  await again.open()
  return again
}

/** Rows of a table in the closed store's file. */
export function count(store: SqliteStore, sql: string): number {
  const db = connect(store.file, { fileMustExist: true })
  try {
    return db.prepare(sql).pluck().get() as number
  } finally {
    db.close()
  }
}

/** Closes the store and checks that its file holds no queue row and no message. */
export async function assertNoQueueLeft(store: SqliteStore): Promise<void> {
  await store.close()
  assert.equal(count(store, 'SELECT count(*) FROM queue'), 0)
  assert.equal(count(store, 'SELECT count(*) FROM messages'), 0)
}

export function record(clientId: string): SessionRecord {
  return { clientId, protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1_700_000_000_000, owner: { username: undefined } }
}
