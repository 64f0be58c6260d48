import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Message } from '../../../broker/message.js'
import { delivery, drainQueue, message } from '../../../broker/store/conformance.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { recoverDatabase } from '../../../broker/store/sqlite-recover.js'
import { assertDamagedGoldenStops, assertGoldenPanel, dataDirWith, inFile, openedStore, PANEL_QUEUE } from '../../helpers/golden-stores.js'
import { count, openStore, record, reopened } from '../../helpers/sqlite-stores.js'

// Format 5 of the SQLite store: a queue row holds its message inline when the batch that wrote the row referred to it
// nowhere else (QUEUE_INLINE_SQL). The golden v5 file holds the same content as v4.db: panel's 9 (in flight), 10 and 11
// and filler's rows inline, 12 (retained too) and 8 (an in-flight row) in `messages`; v4.db is upgraded in place.

const inlineIds = 'SELECT message_id FROM queue WHERE topic IS NOT NULL ORDER BY seq'

test('the golden v5 file opens with its content; the messages only a queue row refers to are inline in it', async (t) => {
  const dataDir = dataDirWith(t, 'v5.db')
  inFile(dataDir, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), 5)
    assert.deepEqual(db.prepare(inlineIds).pluck().all(), [9, 10, 11, 14, 15, 16, 17, 18, 19])
    assert.deepEqual(db.prepare('SELECT id FROM messages ORDER BY id').pluck().all(), [8, 12])
  })
  const { store, snapshot } = await openedStore(t, dataDir)
  assert.equal(snapshot.lastMessageId, 20)
  await assertGoldenPanel(store, snapshot)
  assert.deepEqual(
    (await drainQueue(store.queue('filler'))).map((d) => [d.message.id, d.message.payload.length]),
    [14, 15, 16, 17, 18, 19].map((id) => [id, 3000])
  )
  assert.equal(snapshot.retained[0]?.topic, 'home/kitchen/temp')
})

test('a format 4 file is upgraded to format 5 in place: its rows keep referring to messages, new rows hold theirs', async (t) => {
  const dataDir = dataDirWith(t, 'v4.db')
  const first = new SqliteStore({ dataDir })
  await first.open()
  first.queue('panel').push(delivery(message(21, 'home/kitchen/temp', '23.1'), 1))
  await first.close()
  inFile(dataDir, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), 5)
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok')
    assert.deepEqual(db.prepare(inlineIds).pluck().all(), [21])
    assert.match(db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'queue_message'").pluck().get() as string, /WHERE topic IS NULL/)
  })
  const { store: again } = await openedStore(t, dataDir)
  assert.deepEqual(
    (await drainQueue(again.queue('panel'))).map((d) => d.message.payload.toString()),
    [...PANEL_QUEUE, '23.1']
  )
  await drainQueue(again.queue('filler'))
  await again.close()
  // The old rows, delivered, let go of their messages; 8 and 9 are in flight still and 12 is retained.
  inFile(dataDir, (db) => {
    assert.deepEqual(db.prepare('SELECT id FROM messages ORDER BY id').pluck().all(), [8, 9, 12])
  })
})

test('an inline message keeps its properties, expiry and origin across a restart', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  const sent: Message = {
    ...message(1, 'home/hall/temp', '19.5'),
    qos: 2,
    retain: true,
    expiresAt: 1_900_000_000_000,
    receivedAt: 1_700_000_000_123,
    origin: 'sensor-9',
    properties: { contentType: 'text/plain', correlationData: Buffer.from([7, 8]), userProperties: { unit: 'C' } }
  }
  store.queue('a').push({ message: sent, qos: 1, retain: true, subscriptionIds: [4, 5] })
  const again = await reopened(t, store)
  await again.close()
  assert.equal(count(again, 'SELECT count(*) FROM messages'), 0, 'nothing but the queue row holds it')
  const last = await reopened(t, again)
  const [got] = await drainQueue(last.queue('a'))
  assert.deepEqual({ ...got.message, forms: undefined }, { ...sent, forms: undefined })
  assert.deepEqual([got.qos, got.retain, got.subscriptionIds], [1, true, [4, 5]])
})

test('an inline message that later goes in flight as an in-flight row gets a messages row, and loses it with that row', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  const queue = store.queue('a')
  queue.push(delivery(message(1, 't', 'first'), 2))
  await store.flush() // the row, with its message inline, is on disk
  queue.setOnline(true)
  const taken = queue.shift()!
  store.saveInflight('a', { packetId: 1, state: 'publish', delivery: taken })
  const again = await reopened(t, store) // the close sweeps the delivered queue row away
  await again.close()
  assert.deepEqual([count(again, 'SELECT count(*) FROM queue'), count(again, 'SELECT count(*) FROM messages')], [0, 1])
  const last = new SqliteStore({ dataDir: again.file.replace(/\/broker\.db$/, '') })
  t.after(() => last.close())
  const snapshot = await last.open()
  assert.deepEqual(
    snapshot.sessions[0].inflight.map((r) => [r.packetId, r.delivery.qos, r.delivery.message.payload.toString()]),
    [[1, 2, 'first']]
  )
  last.deleteInflight('a', 1)
  await last.close()
  assert.equal(count(last, 'SELECT count(*) FROM messages'), 0)
})

test('the damaged golden v5 file stops the store and is left as it was', async (t) => {
  await assertDamagedGoldenStops(t, 'v5-corrupt.db')
})

test('recoverDatabase salvages a v5 file with its inline rows; a row whose message is gone from messages goes', async (t) => {
  const dataDir = dataDirWith(t, 'v5.db')
  const file = join(dataDir, 'broker.db')
  inFile(dataDir, (db) => {
    db.exec('DELETE FROM messages WHERE id = 12; DELETE FROM meta; PRAGMA user_version = 0') // as if unreadable
  })
  const result = await recoverDatabase(file)
  assert.equal(result.recovered, true, result.error)
  inFile(dataDir, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), 5)
    assert.deepEqual(db.prepare(inlineIds).pluck().all(), [9, 10, 11, 14, 15, 16, 17, 18, 19])
  })
  const { store, snapshot } = await openedStore(t, dataDir)
  assert.equal(snapshot.lastMessageId, 19, 'from the inline rows too')
  assert.deepEqual(
    (await drainQueue(store.queue('panel'))).map((d) => d.message.payload.toString()),
    PANEL_QUEUE.slice(0, 2)
  )
})
