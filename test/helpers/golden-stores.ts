import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { SqliteStore } from '../../broker/store/sqlite.js'
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
