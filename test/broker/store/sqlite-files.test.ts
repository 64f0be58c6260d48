import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { delivery, drainQueue, message } from '../../../broker/store/conformance.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { recoverDatabase } from '../../../broker/store/sqlite-recover.js'
import { connect, SCHEMA_VERSION } from '../../../broker/store/sqlite-schema.js'
import {
  assertDamagedGoldenStops,
  assertGoldenPanel,
  dataDirWith,
  golden,
  inFile,
  openedStore,
  openFails,
  PANEL_QUEUE
} from '../../helpers/golden-stores.js'

test('the golden v1 file opens with its content', async (t) => {
  const dataDir = dataDirWith(t, 'v1.db')
  const { store, snapshot } = await openedStore(t, dataDir)
  assert.equal(snapshot.lastMessageId, 20)
  const sessions = new Map(snapshot.sessions.map((s) => [s.record.clientId, s]))
  assert.deepEqual([...sessions.keys()].sort(), ['filler', 'panel', 'sensor-1'])
  const sensor = sessions.get('sensor-1')!
  assert.deepEqual(sensor.record, {
    clientId: 'sensor-1',
    protocolVersion: 5,
    expiryInterval: 3600,
    disconnectedAt: 1_700_000_000_000,
    owner: 'unknown' // format 1 kept no owners
  })
  assert.deepEqual(sensor.subscriptions, [
    { fullFilter: '$share/g/alerts/#', qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 2, subscriptionId: undefined },
    { fullFilter: 'home/+/temp', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0, subscriptionId: 3 }
  ])
  const panel = sessions.get('panel')!
  assert.equal(panel.record.expiryInterval, 0xffffffff)
  assert.deepEqual(
    panel.inflight.map((r) => [r.packetId, r.state, r.delivery.message.id, r.delivery.qos, r.delivery.message.payload.toString()]),
    [
      [1, 'publish', 9, 1, '19.0'],
      [2, 'pubrel', 8, 2, '18.5']
    ]
  )
  assert.deepEqual(panel.incomingQos2, [42])
  const [retained] = snapshot.retained
  assert.equal(snapshot.retained.length, 1)
  assert.equal(retained.topic, 'home/kitchen/temp')
  assert.equal(retained.payload.toString(), '22.0')
  assert.equal(retained.retain, true)
  assert.equal(retained.expiresAt, 1_900_000_000_000)
  assert.deepEqual(retained.properties, {
    contentType: 'text/plain',
    correlationData: Buffer.from([1, 2, 3]),
    userProperties: { unit: 'C' }
  })
  const queue = store.queue('panel')
  assert.equal(queue.length, 3)
  assert.equal(queue.bytes, 12)
  const items = await drainQueue(queue)
  assert.deepEqual(
    items.map((d) => [d.message.id, d.message.payload.toString(), d.subscriptionIds]),
    [
      [10, '21.5', [3]],
      [11, '21.7', [3]],
      [12, '22.0', [3]]
    ]
  )
  assert.equal(store.queue('filler').length, 7)
})

test('a second store on the same data directory stops at once; the first keeps working', async (t) => {
  const dataDir = dataDirWith(t, 'v1.db')
  const first = new SqliteStore({ dataDir })
  t.after(() => first.close())
  await first.open()
  const error = await openFails(t, dataDir, /in use by another process/)
  assert.equal(error.code, 'IN_USE')
  assert.equal(error.damaged, false, 'in use is not damage: --recover must not touch it')
  first.saveSession({ clientId: 'still-mine', protocolVersion: 5, expiryInterval: 60, disconnectedAt: undefined, owner: 'unknown' })
  await first.flush()
  await first.close()
  const { snapshot } = await openedStore(t, dataDir)
  assert.ok(snapshot.sessions.some((session) => session.record.clientId === 'still-mine'))
})

test('a damaged file stops the store with its path and what SQLite said', async (t) => {
  const dataDir = dataDirWith(t, 'v1-corrupt.db')
  const error = await openFails(t, dataDir, /malformed|corrupt|quick_check/i)
  assert.equal(error.path, join(dataDir, 'broker.db'))
  assert.equal(error.damaged, true)
  assert.ok(error.message.includes(error.path))
  assert.equal(readFileSync(join(dataDir, 'broker.db')).length, readFileSync(new URL('v1-corrupt.db', golden)).length, 'left as it was')
})

test('a file that is not a database stops the store; it is not replaced by an empty one', async (t) => {
  const dataDir = dataDirWith(t, 'not-a-database.db')
  const error = await openFails(t, dataDir, /file is not a database/)
  assert.equal(error.code, 'SQLITE_NOTADB')
  assert.ok(error.message.includes(join(dataDir, 'broker.db')))
  assert.match(readFileSync(join(dataDir, 'broker.db'), 'utf8'), /this is a text file/)
})

test('a file of a newer format version is refused', async (t) => {
  const dataDir = dataDirWith(t, 'v1.db')
  const db = connect(join(dataDir, 'broker.db'))
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
  db.close()
  const error = await openFails(t, dataDir, new RegExp(`newer thermopost \\(format version ${SCHEMA_VERSION + 1}`))
  assert.equal(error.damaged, false)
})

test('a data directory that cannot be made stops the store with its path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-nodir-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'file'), '')
  const dataDir = join(dir, 'file', 'data')
  const error = await openFails(t, dataDir, /cannot use data directory/)
  assert.equal(error.path, dataDir)
})

test('a new store creates its directory and a single file that SQLite reads as the current format', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-new-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const store = new SqliteStore({ dataDir: join(dir, 'a', 'b') })
  await store.open()
  await store.close()
  const db = connect(join(dir, 'a', 'b', 'broker.db'), { fileMustExist: true })
  try {
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  } finally {
    db.close()
  }
})

test('recoverDatabase moves the damaged file aside and salvages what it can', async (t) => {
  const dataDir = dataDirWith(t, 'v1-corrupt.db')
  const file = join(dataDir, 'broker.db')
  const result = await recoverDatabase(file)
  assert.equal(result.recovered, true, result.error)
  assert.ok(result.method === 'recover' || result.method === 'dump')
  assert.match(result.movedTo, /broker\.db\.corrupt-\d{4}-/)
  assert.deepEqual(readFileSync(result.movedTo), readFileSync(new URL('v1-corrupt.db', golden)))
  const { store, snapshot } = await openedStore(t, dataDir)
  assert.ok(
    snapshot.sessions.some((s) => s.record.clientId === 'sensor-1'),
    'sessions salvaged'
  )
  assert.ok(snapshot.lastMessageId >= 12)
  for (const session of snapshot.sessions) await drainQueue(store.queue(session.record.clientId))
})

test('recoverDatabase says when the sqlite3 program is missing, and keeps the damaged file', async (t) => {
  const dataDir = dataDirWith(t, 'v1-corrupt.db')
  const result = await recoverDatabase(join(dataDir, 'broker.db'), { sqlite3: join(dataDir, 'no-such-sqlite3') })
  assert.equal(result.recovered, false)
  assert.match(result.error!, /sqlite3 program .* is missing/)
  assert.ok(existsSync(result.movedTo))
})

test('the golden v2 file opens with its content, session owners included', async (t) => {
  const dataDir = dataDirWith(t, 'v2.db')
  const { store, snapshot } = await openedStore(t, dataDir)
  assert.equal(snapshot.lastMessageId, 20)
  const records = new Map(snapshot.sessions.map((s) => [s.record.clientId, s.record]))
  assert.deepEqual(records.get('sensor-1'), {
    clientId: 'sensor-1',
    protocolVersion: 5,
    expiryInterval: 3600,
    disconnectedAt: 1_700_000_000_000,
    owner: { username: 'sensor-user' }
  })
  assert.deepEqual(records.get('panel')!.owner, { username: undefined }, 'anonymous')
  assert.equal(records.get('filler')!.owner, 'unknown')
  await assertGoldenPanel(store, snapshot)
  assert.equal(snapshot.retained[0]?.topic, 'home/kitchen/temp')
})

test('a format 1 file is upgraded in place to the current format: its sessions have an unknown owner, new ones a known one', async (t) => {
  const dataDir = dataDirWith(t, 'v1.db')
  const first = new SqliteStore({ dataDir })
  await first.open()
  first.saveSession({ clientId: 'after-upgrade', protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1, owner: { username: 'alice' } })
  await first.close()
  inFile(dataDir, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  })
  const again = new SqliteStore({ dataDir })
  t.after(() => again.close())
  const owners = new Map((await again.open()).sessions.map((s) => [s.record.clientId, s.record.owner]))
  assert.equal(owners.get('sensor-1'), 'unknown')
  assert.equal(owners.get('panel'), 'unknown')
  assert.deepEqual(owners.get('after-upgrade'), { username: 'alice' })
})

test('the damaged golden v2 file stops the store and is left as it was', async (t) => {
  await assertDamagedGoldenStops(t, 'v2-corrupt.db')
})

test('the golden v3 file opens with its content; its queue is the log keyed by seq alone, with heads', async (t) => {
  const dataDir = dataDirWith(t, 'v3.db')
  inFile(dataDir, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), 3)
    assert.deepEqual(db.prepare("SELECT name FROM pragma_table_info('queue') WHERE pk > 0").pluck().all(), ['seq'])
    assert.deepEqual(db.prepare('SELECT client_id, seq FROM queue_heads').raw().all(), [['filler', 4]])
  })
  const { store, snapshot } = await openedStore(t, dataDir)
  assert.equal(snapshot.lastMessageId, 20)
  const sessions = new Map(snapshot.sessions.map((s) => [s.record.clientId, s]))
  assert.deepEqual(sessions.get('sensor-1')!.record.owner, { username: 'sensor-user' })
  assert.deepEqual(
    sessions.get('sensor-1')!.subscriptions.map((s) => s.fullFilter),
    ['$share/g/alerts/#', 'home/+/temp']
  )
  const panel = sessions.get('panel')!
  assert.deepEqual(
    panel.inflight.map((r) => [r.packetId, r.state, r.delivery.message.id]),
    [
      [1, 'publish', 9],
      [2, 'pubrel', 8]
    ]
  )
  assert.deepEqual(panel.incomingQos2, [42])
  const queue = store.queue('panel')
  assert.equal(queue.length, 3)
  assert.equal(queue.bytes, 12)
  assert.deepEqual(
    (await drainQueue(queue)).map((d) => [d.message.id, d.message.payload.toString(), d.subscriptionIds]),
    [
      [10, '21.5', [3]],
      [11, '21.7', [3]],
      [12, '22.0', [3]]
    ]
  )
  const filler = store.queue('filler')
  assert.equal(filler.length, 6, 'its first row was delivered')
  assert.equal(filler.bytes, 6 * 3000)
  assert.deepEqual(
    (await drainQueue(filler)).map((d) => d.message.id),
    [14, 15, 16, 17, 18, 19]
  )
  assert.equal(snapshot.retained[0]?.topic, 'home/kitchen/temp')
})

test('a format 2 file is upgraded to the queue log (and on to the current format) in place: queues keep their rows and order, new rows come after', async (t) => {
  const dataDir = dataDirWith(t, 'v2.db')
  const first = new SqliteStore({ dataDir })
  await first.open()
  const queue = first.queue('panel')
  assert.equal(queue.length, 3)
  await drainQueue(first.queue('filler'))
  queue.push(delivery(message(21, 'home/kitchen/temp', '23.1'), 1))
  await first.close()
  inFile(dataDir, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
    assert.deepEqual(db.prepare("SELECT name FROM pragma_table_info('queue') WHERE pk > 0").pluck().all(), ['seq'])
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'queue_v2'").pluck().get(), 0)
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok')
  })
  const again = new SqliteStore({ dataDir })
  t.after(() => again.close())
  await again.open()
  assert.deepEqual(
    (await drainQueue(again.queue('panel'))).map((d) => d.message.payload.toString()),
    [...PANEL_QUEUE, '23.1']
  )
  assert.equal(again.queue('filler').length, 0, 'drained before the restart')
})

test('the damaged golden v3 file stops the store and is left as it was', async (t) => {
  await assertDamagedGoldenStops(t, 'v3-corrupt.db')
})

test('recoverDatabase salvages a damaged v3 file into a v3 store', async (t) => {
  const dataDir = dataDirWith(t, 'v3-corrupt.db')
  const result = await recoverDatabase(join(dataDir, 'broker.db'))
  assert.equal(result.recovered, true, result.error)
  inFile(dataDir, (db) => {
    assert.equal(db.pragma('user_version', { simple: true }), 3)
  })
  const { store, snapshot } = await openedStore(t, dataDir)
  for (const session of snapshot.sessions) await drainQueue(store.queue(session.record.clientId))
})

test('a salvaged v3 file whose queue heads could not be read gets an empty table of them and opens', async (t) => {
  const dataDir = dataDirWith(t, 'v3.db')
  const file = join(dataDir, 'broker.db')
  const db = connect(file, { fileMustExist: true })
  db.exec('DROP TABLE queue_heads')
  db.close()
  const result = await recoverDatabase(file)
  assert.equal(result.recovered, true, result.error)
  const store = new SqliteStore({ dataDir })
  t.after(() => store.close())
  await store.open()
  assert.deepEqual(
    (await drainQueue(store.queue('panel'))).map((d) => d.message.payload.toString()),
    PANEL_QUEUE
  )
})
