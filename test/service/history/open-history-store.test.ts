import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { HistorySpecError, openHistoryStore } from '../../../service/history/open-history-store.js'
import { SqliteHistoryStore } from '../../../service/history/sqlite.js'

function tempDir (t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-open-history-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('without --history the store is SQLite in the data directory', async (t) => {
  const dataDir = tempDir(t)
  const store = await openHistoryStore(undefined, { dataDir })
  t.after(() => store.close())
  assert.ok(store instanceof SqliteHistoryStore)
  assert.ok(existsSync(join(dataDir, 'history.db')))
})

test('sqlite:PATH opens that file', async (t) => {
  const dir = tempDir(t)
  const store = await openHistoryStore(`sqlite:${join(dir, 'sub', 'h.db')}`, { dataDir: join(dir, 'unused') })
  t.after(() => store.close())
  assert.ok(existsSync(join(dir, 'sub', 'h.db')))
  assert.ok(!existsSync(join(dir, 'unused', 'history.db')))
})

test('a value naming no known store is refused with the forms that are accepted', async () => {
  for (const [spec, reason] of [['sqlite:', /path is empty/], ['redis://x', /unknown kind/], ['influx://', /host is missing/], ['influx://h/a/b', /has a \//]] as const) {
    await assert.rejects(openHistoryStore(spec, { dataDir: '/nonexistent' }), (error: unknown) =>
      error instanceof HistorySpecError && reason.test(error.message) && error.message.includes('influx://USER:PASS@HOST:PORT/DB'))
  }
})
