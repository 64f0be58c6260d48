import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { SqliteHistoryStore } from '../../../service/history/sqlite.js'

const writer = fileURLToPath(new URL('./crash-writer.js', import.meta.url))

test('every reading acknowledged before a SIGKILL is there after it, rollups included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-history-crash-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'history.db')
  const child = spawn(process.execPath, [writer, path], { stdio: ['ignore', 'pipe', 'inherit'] })
  let acked = 0
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    for (const [, count] of chunk.matchAll(/acked (\d+)/g)) acked = Number(count)
    if (acked >= 3000 && child.exitCode === null) child.kill('SIGKILL')
  })
  await once(child, 'exit')
  assert.ok(acked >= 3000, `the writer acknowledged ${acked} readings before it was killed`)

  const store = new SqliteHistoryStore({ path })
  t.after(() => store.close())
  const start = Date.UTC(2026, 0, 5)
  let raw = 0
  let rolledUp = 0
  for (let device = 0; device < 10; device++) {
    const range = { deviceId: `crash/d${device}`, from: start, to: start + 86_400_000 }
    raw += (await store.query({ ...range, resolution: 'raw' })).points.length
    rolledUp += (await store.query({ ...range, resolution: '1h' })).points.reduce((sum, point) => sum + point.count, 0)
  }
  assert.ok(raw >= acked, `${raw} readings stored, ${acked} acknowledged`)
  assert.equal(rolledUp, raw, 'the rollups count exactly the stored readings')
})
