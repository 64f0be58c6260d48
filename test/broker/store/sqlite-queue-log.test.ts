import assert from 'node:assert/strict'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { delivery, drainQueue, message } from '../../../broker/store/conformance.js'
import { QUEUE_WINDOW } from '../../../broker/store/paged-queue.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { assertNoQueueLeft, count, openStore, record, reopened, tempDir } from '../../helpers/sqlite-stores.js'

// The queue of the SQLite store is one log of every session's rows in push order, with a head per queue
// (sqlite-schema.ts, QUEUE_SQL): what that layout must keep apart and keep after a crash.

test('queues whose rows interleave in the log: clearing or deleting one leaves the others whole, on disk too', async (t) => {
  const store = await openStore(t)
  for (const id of ['a', 'b', 'c']) store.saveSession(record(id))
  for (let id = 1; id <= QUEUE_WINDOW * 3; id++) {
    for (const [i, client] of ['a', 'b', 'c'].entries()) store.queue(client).push(delivery(message(id * 3 + i, `t/${client}`), 1))
  }
  store.queue('a').clear()
  store.deleteSession('c')
  const again = await reopened(t, store)
  assert.equal(again.queue('a').length, 0)
  const rest = await drainQueue(again.queue('b'))
  assert.deepEqual(
    rest.map((d) => d.message.id),
    Array.from({ length: QUEUE_WINDOW * 3 }, (_, i) => (i + 1) * 3 + 1)
  )
  assert.ok(rest.every((d) => d.message.topic === 't/b'))
  await assertNoQueueLeft(again)
})

test('a page read after a restart is by key: a queue behind thousands of rows of other sessions reads only its own', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('busy'))
  store.saveSession(record('quiet'))
  for (let id = 1; id <= 5000; id++) {
    store.queue('busy').push(delivery(message(id, 'busy'), 1))
    if (id % 1000 === 0) store.queue('quiet').push(delivery(message(id + 100_000, 'quiet'), 1))
  }
  const again = await reopened(t, store)
  const quiet = again.queue('quiet')
  assert.equal(quiet.length, 5)
  assert.deepEqual(
    (await drainQueue(quiet)).map((d) => d.message.id),
    [101_000, 102_000, 103_000, 104_000, 105_000]
  )
  assert.equal(again.queue('busy').length, 5000)
})

test('a drained queue moves its head: after a crash its delivered rows stay delivered, and new rows number past the head', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  store.saveSession(record('b'))
  for (let id = 1; id <= QUEUE_WINDOW * 2; id++) store.queue('a').push(delivery(message(id, 't'), 1))
  store.queue('b').push(delivery(message(1000, 'b'), 1))
  await store.flush()
  const drained = await drainQueue(store.queue('a'))
  assert.equal(drained.length, QUEUE_WINDOW * 2)
  store.queue('b').shift()
  await store.flush()
  // A crash image: the files as they are while the store runs (every commit is in the WAL, nothing swept yet).
  const crashed = tempDir()
  for (const suffix of ['', '-wal']) copyFileSync(store.file + suffix, join(crashed, `broker.db${suffix}`))
  const again = new SqliteStore({ dataDir: crashed })
  t.after(() => again.close())
  await again.open()
  assert.equal(again.queue('a').length, 0)
  assert.equal(again.queue('b').length, 0)
  again.queue('b').push(delivery(message(1001, 'b'), 1))
  const after = await reopened(t, again)
  assert.deepEqual(
    (await drainQueue(after.queue('b'))).map((d) => d.message.id),
    [1001],
    'a row pushed after the restart is not taken for delivered'
  )
  await after.close()
  assert.equal(count(after, 'SELECT count(*) FROM queue'), 0, 'delivered rows are swept')
})
