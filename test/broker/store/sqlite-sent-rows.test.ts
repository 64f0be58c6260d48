import assert from 'node:assert/strict'
import { test } from 'node:test'
import { delivery, drainQueue, message } from '../../../broker/store/conformance.js'
import type { SqliteStore } from '../../../broker/store/sqlite.js'
import { SentRows } from '../../../broker/store/sqlite-sent-rows.js'
import type { SessionQueue } from '../../../broker/store/store.js'
import { assertNoQueueLeft, count, openStore, record, reopened } from '../../helpers/sqlite-stores.js'

// Format 4 of the SQLite store keeps a QoS 1 delivery in flight as its queue row, marked with its packet id, until
// its PUBACK (sqlite-sent-rows.ts): what that must keep across a restart, and what it must not leave behind.

test('the rows in flight stay in seq order whatever order they are sent and acknowledged in', () => {
  const rows = new SentRows()
  rows.sent('a', 1, 10)
  rows.sent('a', 2, 30)
  rows.sent('a', 3, 20) // read back at open behind a later one
  rows.sent('b', 1, 15)
  assert.deepEqual(rows.range('a'), [10, 30])
  assert.equal(rows.olderInFlight('a', 10), false)
  assert.equal(rows.olderInFlight('a', 11), true)
  assert.equal(rows.acknowledged('a', 2), 30, 'out of order')
  assert.equal(rows.acknowledged('a', 2), undefined, 'only once')
  assert.equal(rows.acknowledged('a', 1), 10, 'the oldest')
  assert.equal(rows.olderInFlight('a', 20), false)
  assert.equal(rows.olderInFlight('a', 21), true, 'seq 20 is still in flight')
  assert.equal(rows.acknowledged('a', 3), 20)
  assert.equal(rows.olderInFlight('a', 1000), false)
  assert.equal(rows.olderInFlight('b', 16), true, 'each session its own')
})

function takeAndSend(store: SqliteStore, queue: SessionQueue, packetId: number): void {
  const taken = queue.shift()
  assert.ok(taken !== undefined)
  store.saveInflight('a', { packetId, state: 'publish', delivery: taken })
}

function inflightOf(snapshot: Awaited<ReturnType<SqliteStore['open']>>): Array<[number, string, number]> {
  return snapshot.sessions[0].inflight.map((r) => [r.packetId, r.state, r.delivery.message.id])
}

test('rows sent from the queue stay in the log until PUBACK; in order, out of order, or not sent, done rows stay done', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  const queue = store.queue('a')
  for (let id = 1; id <= 5; id++) queue.push(delivery(message(id, 't'), 1))
  await store.flush() // the rows are on disk before they are sent
  takeAndSend(store, queue, 1)
  takeAndSend(store, queue, 2)
  takeAndSend(store, queue, 3)
  store.deleteInflight('a', 1) // the oldest: the head moves past it
  store.deleteInflight('a', 3) // out of order: 2 is still in flight, so its row goes alone
  assert.ok(queue.shift() !== undefined) // not sent (an expired message): done behind 2 as well
  const again = await reopened(t, store)
  const snapshot = await again.open()
  assert.deepEqual(inflightOf(snapshot), [[2, 'publish', 2]])
  assert.deepEqual(
    (await drainQueue(again.queue('a'))).map((d) => d.message.id),
    [5]
  )
  again.deleteInflight('a', 2)
  const last = await reopened(t, again)
  assert.deepEqual(inflightOf(await last.open()), [])
  await assertNoQueueLeft(last)
})

test('a row sent and acknowledged in the commit that pushed it is never written', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  const queue = store.queue('a')
  queue.push(delivery(message(1, 't'), 1))
  takeAndSend(store, queue, 7)
  store.deleteInflight('a', 7)
  await store.close()
  assert.equal(count(store, 'SELECT count(*) FROM messages'), 0)
  assert.equal(count(store, 'SELECT count(*) FROM queue_heads'), 0, 'nothing on disk for the head to pass')
})

test('a QoS 1 delivery sent while nothing waits is a row in flight, one sent behind waiting rows goes to the in-flight table; both come back in the order sent', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  store.saveInflight('a', { packetId: 1, state: 'publish', delivery: delivery(message(1, 't'), 1) })
  store.queue('a').push(delivery(message(2, 't'), 1))
  store.saveInflight('a', { packetId: 2, state: 'publish', delivery: delivery(message(3, 't'), 1) })
  store.saveInflight('a', { packetId: 3, state: 'publish', delivery: delivery(message(4, 't'), 2) })
  await store.close()
  assert.equal(count(store, 'SELECT count(*) FROM queue WHERE packet_id IS NOT NULL'), 1)
  assert.equal(count(store, 'SELECT count(*) FROM inflight'), 2)
  const again = await reopened(t, store)
  const snapshot = await again.open()
  assert.deepEqual(inflightOf(snapshot), [
    [1, 'publish', 1],
    [2, 'publish', 3],
    [3, 'publish', 4]
  ])
  assert.deepEqual(
    (await drainQueue(again.queue('a'))).map((d) => d.message.id),
    [2]
  )
})

test('deleting a session deletes its rows in flight, those sent outside its queue too', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  store.saveSession(record('b'))
  store.saveInflight('a', { packetId: 1, state: 'publish', delivery: delivery(message(1, 't'), 1) })
  store.queue('b').push(delivery(message(2, 't'), 1))
  store.queue('a').push(delivery(message(3, 't'), 1))
  await store.flush()
  takeAndSend(store, store.queue('a'), 2)
  store.deleteSession('a')
  await store.close()
  assert.equal(count(store, "SELECT count(*) FROM queue WHERE client_id = 'a'"), 0)
  assert.equal(count(store, 'SELECT count(*) FROM messages'), 0, "a's messages went with it")
  assert.equal(count(store, "SELECT count(*) FROM queue WHERE client_id = 'b' AND topic IS NOT NULL"), 1, "b's stays, inline in its row")
})

test('a queue drained past its window keeps every QoS 1 row it sends in the log: its reads ahead do not settle the row just taken', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  const queue = store.queue('a')
  for (let id = 1; id <= 300; id++) queue.push(delivery(message(id, 't'), 1))
  await store.flush() // most rows are on disk only, read back in pages as the window drains
  for (let packetId = 1; packetId <= 300; packetId++) {
    let taken = queue.shift()
    if (taken === undefined) {
      await new Promise<void>((resolve) => queue.whenReadable(resolve))
      taken = queue.shift()
    }
    assert.ok(taken !== undefined)
    store.saveInflight('a', { packetId, state: 'publish', delivery: taken })
  }
  await store.close()
  assert.equal(count(store, 'SELECT count(*) FROM queue WHERE packet_id IS NOT NULL'), 300)
  assert.equal(count(store, 'SELECT count(*) FROM inflight'), 0)
})
