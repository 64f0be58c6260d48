import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { test } from 'node:test'
import { delivery, drainQueue, message, nextDelivery, storeConformance } from '../../../broker/store/conformance.js'
import { ONLINE_QUEUE_WINDOW, QUEUE_WINDOW } from '../../../broker/store/paged-queue.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { StoreError } from '../../../broker/store/store.js'
import { assertPagesInOrderWhileGrowing } from '../../helpers/paged-queue.js'
import { assertNoQueueLeft, count, openStore, record, reopened, tempDir } from '../../helpers/sqlite-stores.js'

storeConformance({
  test,
  makeStore: async () => new SqliteStore({ dataDir: tempDir() }),
  reopen: async (store) => {
    const dataDir = (store as SqliteStore).file.replace(/\/broker\.db$/, '')
    await store.close()
    return new SqliteStore({ dataDir })
  },
  reportsCommits: true
})

test('writes before the same commit share one flush promise; nothing pending is resolved', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  const first = store.flush()
  store.saveSubscription('a', {
    fullFilter: 't',
    qos: 1,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0,
    subscriptionId: undefined
  })
  assert.equal(store.flush(), first)
  await first
  await store.flush()
  let settled = false
  void store.flush().then(() => {
    settled = true
  })
  await Promise.resolve()
  assert.ok(settled)
})

test('a batch fills while the one before it commits', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  await new Promise((resolve) => setImmediate(resolve))
  const committing = store.flush() // sent to the worker
  store.saveIncomingQos2('a', 1)
  const next = store.flush()
  assert.notEqual(next, committing)
  store.saveIncomingQos2('a', 2)
  assert.equal(store.flush(), next)
  await next
  const [session] = (await (await reopened(t, store)).open()).sessions
  assert.deepEqual(session.incomingQos2, [1, 2])
})

test('a long queue pages from disk, keeps order and counts, also while it grows', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  await assertPagesInOrderWhileGrowing(store.queue('a'), QUEUE_WINDOW * 5)
  await assertNoQueueLeft(store)
})

test('after a restart a queue knows its length and bytes at once and reads its rows on demand', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  for (let id = 1; id <= 300; id++)
    store.queue('a').push({ ...delivery(message(id, `t/${id}`, 'abc'), 2), retain: true, subscriptionIds: [4, 5] })
  const again = await reopened(t, store)
  const queue = again.queue('a')
  assert.equal(queue.length, 300)
  assert.equal(queue.bytes, 900)
  assert.equal(queue.shift(), undefined)
  const items = await drainQueue(queue)
  assert.deepEqual(
    items.map((item) => item.message.id),
    Array.from({ length: 300 }, (_, i) => i + 1)
  )
  assert.equal(items[7].qos, 2)
  assert.equal(items[7].retain, true)
  assert.deepEqual(items[7].subscriptionIds, [4, 5])
  assert.equal(items[7].message.topic, 't/8')
  assert.ok(Buffer.isBuffer(items[7].message.payload))
})

test('a message is stored once however many rows refer to it, and goes with the last of them', async (t) => {
  const store = await openStore(t)
  const shared = message(7, 'shared')
  for (const id of ['a', 'b', 'c']) {
    store.saveSession(record(id))
    store.queue(id).push(delivery(shared, 1))
  }
  store.saveRetained(shared)
  store.saveInflight('a', { packetId: 1, state: 'publish', delivery: delivery(shared, 1) })
  await store.close()
  // The file is read while the store is closed: an open store holds SQLite's exclusive lock.
  assert.equal(count(store, 'SELECT count(*) FROM messages'), 1)
  const again = await reopened(t, store)
  for (const id of ['a', 'b', 'c']) await nextDelivery(again.queue(id))
  again.deleteRetained('shared')
  await again.close()
  assert.equal(count(again, 'SELECT count(*) FROM messages'), 1, 'the in-flight row still refers to it')
  const last = await reopened(t, again)
  last.deleteInflight('a', 1)
  await last.close()
  assert.equal(count(last, 'SELECT count(*) FROM messages'), 0)
})

test('a delivery moved from the queue to the in-flight window in one batch keeps its message', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  store.queue('a').push(delivery(message(1, 't', 'kept'), 1))
  await store.flush()
  const moved = store.queue('a').shift()!
  store.saveInflight('a', { packetId: 5, state: 'publish', delivery: moved })
  const [session] = (await (await reopened(t, store)).open()).sessions
  assert.equal(session.inflight[0].delivery.message.payload.toString(), 'kept')
})

test('a QoS 2 delivery shifted, sent and moved to pubrel within one batch commits', async (t) => {
  // The in-flight upsert fires the update trigger for a message the shift already collected: the
  // commit must not fail on the second note of the same id (it did, and every PUBREL stalled).
  const store = await openStore(t)
  store.saveSession(record('a'))
  const msg = message(7, 't', 'exactly once')
  store.queue('a').push(delivery(msg, 2))
  await store.flush()
  const moved = store.queue('a').shift()!
  store.saveInflight('a', { packetId: 1, state: 'publish', delivery: moved })
  store.saveInflight('a', { packetId: 1, state: 'pubrel', delivery: moved })
  store.saveInflight('a', { packetId: 1, state: 'pubrel', delivery: moved })
  await store.flush()
  const [session] = (await (await reopened(t, store)).open()).sessions
  assert.deepEqual(
    session.inflight.map((r) => [r.packetId, r.state, r.delivery.message.payload.toString()]),
    [[1, 'pubrel', 'exactly once']]
  )
})

test('the last message id is kept after every message is gone', async (t) => {
  const store = await openStore(t)
  store.saveRetained(message(41, 'a'))
  store.deleteRetained('a')
  const snapshot = await (await reopened(t, store)).open()
  assert.equal(snapshot.lastMessageId, 41)
  assert.deepEqual(snapshot.retained, [])
})

test('moving to pubrel keeps the order first sent', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  store.saveInflight('a', { packetId: 9, state: 'publish', delivery: delivery(message(1, 'x'), 2) })
  store.saveInflight('a', { packetId: 3, state: 'publish', delivery: delivery(message(2, 'y'), 2) })
  store.saveInflight('a', { packetId: 9, state: 'pubrel', delivery: delivery(message(1, 'x'), 2) })
  const [session] = (await (await reopened(t, store)).open()).sessions
  assert.deepEqual(
    session.inflight.map((r) => [r.packetId, r.state]),
    [
      [9, 'pubrel'],
      [3, 'publish']
    ]
  )
})

test('messages come back whole: Buffer payload, Correlation Data, no encoded forms', async (t) => {
  const store = await openStore(t)
  const properties = { correlationData: Buffer.from([0, 1, 255]), userProperties: { k: ['v1', 'v2'] }, payloadFormatIndicator: true }
  store.saveRetained({ ...message(1, 'r', '\u0000bin'), retain: true, properties, forms: [{ bytes: Buffer.from('x'), idOffset: 0 }] })
  const snapshot = await (await reopened(t, store)).open()
  const [kept] = snapshot.retained
  assert.ok(Buffer.isBuffer(kept.payload))
  assert.equal(kept.payload.toString(), '\u0000bin')
  assert.equal(kept.retain, true)
  assert.equal(kept.forms, undefined)
  assert.ok(Buffer.isBuffer(kept.properties?.correlationData))
  assert.deepEqual([...kept.properties!.correlationData!], [0, 1, 255])
  assert.deepEqual(kept.properties?.userProperties, { k: ['v1', 'v2'] })
})

test('a full disk fails that batch with StoreError full; later batches still commit', async (t) => {
  const store = await openStore(t, { maxPages: 64 })
  store.saveSession(record('a'))
  await store.flush()
  const queue = store.queue('a')
  for (let id = 1; id <= QUEUE_WINDOW; id++) queue.push(delivery(message(id, 't'), 1))
  await store.flush()
  const big = Buffer.alloc(1024 * 1024, 1)
  queue.push(delivery({ ...message(QUEUE_WINDOW + 1, 'big'), payload: big }, 1))
  await assert.rejects(store.flush(), (error: unknown) => error instanceof StoreError && error.kind === 'full')
  // The lost push is read again from disk; counts match what is stored.
  const items = await drainQueue(queue)
  assert.equal(items.length, QUEUE_WINDOW, 'the window kept its deliveries, the failed push is gone')
  assert.equal(queue.length, 0)
  assert.equal(queue.bytes, 0)
  store.saveIncomingQos2('a', 77)
  await store.flush()
  const [session] = (await (await reopened(t, store)).open()).sessions
  assert.deepEqual(session.incomingQos2, [77])
})

test('open twice is safe and sees what was written', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  const snapshot = await store.open()
  assert.deepEqual(
    snapshot.sessions.map((s) => s.record.clientId),
    ['a']
  )
})

test('deleting a session drops its queue, also pages still being read', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  for (let id = 1; id <= QUEUE_WINDOW * 2; id++) store.queue('a').push(delivery(message(id, 't'), 1))
  const again = await reopened(t, store)
  const queue = again.queue('a')
  assert.equal(queue.shift(), undefined)
  let woke = false
  queue.whenReadable(() => {
    woke = true
  })
  again.deleteSession('a')
  await again.flush()
  await new Promise((resolve) => setImmediate(resolve))
  assert.ok(woke)
  assert.equal(queue.length, 0)
  again.saveSession(record('a'))
  assert.equal(again.queue('a').length, 0)
})

test('pushing and draining many messages does not grow the files without bound', async (t) => {
  const store = await openStore(t)
  for (const id of ['a', 'b']) store.saveSession(record(id))
  const payload = 'x'.repeat(2000)
  let id = 0
  const sizes: number[] = []
  for (let round = 0; round < 12; round++) {
    for (let i = 0; i < 500; i++) {
      const m = message(++id, 't', payload)
      store.queue('a').push(delivery(m, 1))
      store.queue('b').push(delivery(m, 1))
    }
    await store.flush()
    for (const client of ['a', 'b']) await drainQueue(store.queue(client))
    await store.flush()
    sizes.push(fileSize(store.file) + fileSize(`${store.file}-wal`))
  }
  // One round holds ~1 MB of payload; later rounds reuse the space the first ones freed.
  const afterWarmUp = Math.max(...sizes.slice(0, 4))
  assert.ok(Math.max(...sizes.slice(4)) <= afterWarmUp * 1.5 + 1024 * 1024, `files grew: ${sizes.join(', ')}`)
  await store.close()
  assert.equal(count(store, 'SELECT count(*) FROM messages'), 0)
})

function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

test("a connected session's queue keeps up to ONLINE_QUEUE_WINDOW in memory; an offline one pages beyond QUEUE_WINDOW", async (t) => {
  const store = await openStore(t)
  store.saveSession(record('on'))
  store.saveSession(record('off'))
  const online = store.queue('on')
  online.setOnline(true)
  const offline = store.queue('off')
  const count = QUEUE_WINDOW * 3
  assert.ok(count <= ONLINE_QUEUE_WINDOW)
  for (let id = 1; id <= count; id++) {
    online.push(delivery(message(id, 't'), 1))
    offline.push(delivery(message(count + id, 't'), 1))
  }
  await store.flush()
  const inMemory = (queue: typeof online): number => {
    let shifted = 0
    while (queue.shift() !== undefined) shifted++
    return shifted
  }
  assert.equal(inMemory(online), count, 'every delivery of the connected session, without a page read')
  assert.equal(inMemory(offline), QUEUE_WINDOW, "the offline session's first window; the rest waits on disk")
  assert.equal(offline.length, count - QUEUE_WINDOW)
  assert.equal((await drainQueue(offline)).length, count - QUEUE_WINDOW, 'and is read back in order when asked for')
})
