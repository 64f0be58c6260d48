import assert from 'node:assert/strict'
import { test } from 'node:test'
import { drainQueue } from '../../../broker/store/conformance.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { SCHEMA_VERSION } from '../../../broker/store/sqlite-schema.js'
import { assertDamagedGoldenStops, assertGoldenPanel, dataDirWith, inFile, openedStore, PANEL_QUEUE } from '../../helpers/golden-stores.js'

// Format 4 of the SQLite store: a QoS 1 delivery in flight is its queue row, marked with its packet id
// (sqlite-sent-rows.ts). The golden v4 file holds the same content as v3.db, panel's QoS 1 message in flight
// written the new way; v3.db is upgraded in place.

function inflightOf(session: { inflight: Array<{ packetId: number; state: string; delivery: { message: { id: number } } }> }) {
  return session.inflight.map((r) => [r.packetId, r.state, r.delivery.message.id])
}

test('the golden v4 file opens with its content; its QoS 1 message in flight is a queue row with its packet id', async (t) => {
  const dataDir = dataDirWith(t, 'v4.db')
  inFile(dataDir, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), 4)
    assert.deepEqual(db.prepare('SELECT client_id, message_id, packet_id FROM queue WHERE packet_id IS NOT NULL').raw().all(), [
      ['panel', 9, 1]
    ])
    assert.deepEqual(db.prepare('SELECT packet_id, state FROM inflight').raw().all(), [[2, 'pubrel']])
  })
  const { store, snapshot } = await openedStore(t, dataDir)
  assert.equal(snapshot.lastMessageId, 20)
  await assertGoldenPanel(store, snapshot)
  assert.deepEqual(
    (await drainQueue(store.queue('filler'))).map((d) => d.message.id),
    [14, 15, 16, 17, 18, 19]
  )
  store.deleteInflight('panel', 1)
  await store.flush()
  assert.deepEqual(inflightOf((await store.open()).sessions.find((s) => s.record.clientId === 'panel')!), [[2, 'pubrel', 8]])
})

test('a format 3 file is upgraded in place (to format 4, then on): its in-flight rows keep their order ahead of new ones', async (t) => {
  const dataDir = dataDirWith(t, 'v3.db')
  const first = new SqliteStore({ dataDir })
  await first.open()
  const queue = first.queue('panel')
  if (queue.shift() === undefined) await new Promise<void>((resolve) => queue.whenReadable(resolve)) // the page read at open
  const taken = queue.shift()
  assert.ok(taken !== undefined)
  first.saveInflight('panel', { packetId: 3, state: 'publish', delivery: taken })
  await first.close()
  inFile(dataDir, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok')
  })
  const { store: again, snapshot } = await openedStore(t, dataDir)
  const panel = snapshot.sessions.find((s) => s.record.clientId === 'panel')!
  assert.deepEqual(inflightOf(panel), [
    [1, 'publish', 9],
    [2, 'pubrel', 8],
    [3, 'publish', 10]
  ])
  assert.deepEqual(
    (await drainQueue(again.queue('panel'))).map((d) => d.message.payload.toString()),
    PANEL_QUEUE.slice(1)
  )
})

test('the damaged golden v4 file stops the store and is left as it was', async (t) => {
  await assertDamagedGoldenStops(t, 'v4-corrupt.db')
})
