import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { historyConformance } from '../../../service/history/conformance.js'
import { SqliteHistoryStore } from '../../../service/history/sqlite.js'
import { openSqlite } from '../../../service/history/sqlite-driver.js'
import { SCHEMA_VERSION } from '../../../service/history/sqlite-schema.js'

const dirs: string[] = []
test.after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function freshPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-history-'))
  dirs.push(dir)
  return join(dir, 'history.db')
}

historyConformance({ test, makeStore: async () => new SqliteHistoryStore({ path: freshPath() }) })

function open(t: TestContext, path: string): SqliteHistoryStore {
  const store = new SqliteHistoryStore({ path })
  t.after(() => store.close())
  return store
}

const T0 = Date.UTC(2026, 0, 5)
const reading = (time: number, temperature: number) => ({
  deviceId: 'home/a',
  site: 'home',
  device: 'a',
  source: 'thermopost',
  time,
  temperature
})

test('a reopened file keeps readings, rollups, devices and the retention cutoff', async (t) => {
  const path = freshPath()
  const first = new SqliteHistoryStore({ path })
  await first.write([reading(T0, 20), reading(T0 + 1000, 22), reading(T0 + 40 * 86_400_000, 21)])
  await first.applyRetention(T0 + 31 * 86_400_000)
  await first.close()
  const again = open(t, path)
  await again.write([reading(T0 + 2000, 24)])
  assert.deepEqual((await again.query({ deviceId: 'home/a', from: T0, to: T0 + 60_000, resolution: '1m' })).points, [
    { time: T0, min: 20, mean: 22, max: 24, count: 3 }
  ])
  const auto = await again.query({ deviceId: 'home/a', from: T0, to: T0 + 60_000, resolution: 'auto' })
  assert.equal(auto.resolution, '1m', 'the raw cutoff survived the restart')
})

test('the file carries its schema version, and a newer one is refused', async (t) => {
  const path = freshPath()
  await new SqliteHistoryStore({ path }).close()
  const db = openSqlite(path)
  t.after(() => db.close())
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
  assert.throws(() => new SqliteHistoryStore({ path }), /schema version 2, this thermopost reads version 1/)
})

test('a failed batch leaves nothing behind, not even its new device', async (t) => {
  const store = open(t, freshPath())
  // A device without a site breaks the devices table's NOT NULL after home/a's reading went in.
  const siteless = { ...reading(T0 + 1000, 21), deviceId: 'home/b', device: 'b', site: null as unknown as string }
  await assert.rejects(store.write([reading(T0, 20), siteless]), /NOT NULL/)
  assert.deepEqual((await store.query({ deviceId: 'home/a', from: T0, to: T0 + 60_000, resolution: '1m' })).points, [])
  await store.write([{ ...reading(T0, 19), deviceId: 'home/b', device: 'b' }])
  assert.equal((await store.query({ deviceId: 'home/b', from: T0, to: T0 + 60_000, resolution: 'raw' })).points.length, 1)
})

test('a bucket both moved to the big table and still being filled reads as one', async (t) => {
  const store = open(t, freshPath())
  await store.write([reading(T0, 20), reading(T0 + 10_000, 26)])
  await store.applyRetention(T0) // moves every pending bucket, the one being filled too
  await store.write([reading(T0 + 20_000, 17), reading(T0 + 30_000, 21)])
  for (const resolution of ['1m', '1h'] as const) {
    const { points } = await store.query({ deviceId: 'home/a', from: T0, to: T0 + 60_000, resolution })
    assert.deepEqual(points, [{ time: T0, min: 17, mean: 21, max: 26, count: 4 }], resolution)
  }
  const csv = []
  for await (const line of store.exportCsv('home/a', T0, T0 + 60_000, '1m')) csv.push(line)
  assert.deepEqual(csv.slice(1), [`${new Date(T0).toISOString()},home/a,17,21,26,4,\n`])
})
