import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { delivery, message } from '../../../broker/store/conformance.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { Batch } from '../../../broker/store/sqlite-batch.js'
import { BatchReader, type BatchValue, BatchWriter, MESSAGE_FIELDS } from '../../../broker/store/sqlite-batch-codec.js'
import { MultiRowInsert } from '../../../broker/store/sqlite-multi-row-insert.js'
import { INLINE_MESSAGE_VALUES, Op, PUSH_VALUES } from '../../../broker/store/sqlite-protocol.js'
import { connect } from '../../../broker/store/sqlite-schema.js'

/**
 * What the worker reads of a batch: the ids of the messages that travel on their own, the ids and topics of those
 * inline in a push, and its operations (a push without the message inline in it).
 */
function decoded(batch: Batch): { messageIds: BatchValue[]; inline: BatchValue[][]; ops: BatchValue[][] } {
  const { buffer, length } = batch.encode()
  const reader = new BatchReader(buffer, length)
  const messageIds: BatchValue[] = []
  for (let i = 0; i < reader.messageCount; i++) messageIds.push(reader.values(MESSAGE_FIELDS)[0])
  const inline: BatchValue[][] = []
  const ops: BatchValue[][] = []
  for (let i = 0; i < reader.operationCount; i++) {
    const op = reader.operation()
    if (op[0] === Op.Push && op.length === PUSH_VALUES + INLINE_MESSAGE_VALUES) inline.push([op[3], op[PUSH_VALUES]])
    ops.push(op[0] === Op.Push ? op.slice(0, PUSH_VALUES) : op)
  }
  return { messageIds, inline, ops }
}

test('values come back as written, through a buffer grown past its size hint', () => {
  const values: BatchValue[] = [
    null,
    0,
    -1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    1_700_000_000_123,
    Number.MAX_SAFE_INTEGER,
    0.5,
    '',
    'plain',
    'ünïcödé ✓ 𝄞',
    Buffer.from([0, 1, 2, 255]),
    Buffer.alloc(0),
    'x'.repeat(5000)
  ]
  const writer = new BatchWriter(1, 1, 16)
  for (const value of values.slice(0, 5)) writer.value(value)
  writer.operation(values.length - 5)
  for (const value of values.slice(5)) writer.value(value)
  const { buffer, length } = writer.finish()
  const reader = new BatchReader(buffer, length)
  assert.deepEqual([reader.messageCount, reader.operationCount], [1, 1])
  const read = [...reader.values(5), ...reader.operation()]
  assert.deepEqual(
    read.map((value) => (value instanceof Uint8Array ? Buffer.from(value) : value)),
    values
  )
})

test('a queue row pushed and shifted in one batch is dropped with its message', () => {
  const batch = new Batch(1)
  const kept = message(1, 't/kept')
  const gone = message(2, 't/gone')
  batch.add([Op.Push, 'a', 10, 1, 1, 0, null, 1, null], kept)
  batch.add([Op.Push, 'a', 11, 2, 1, 0, null, 1, null], gone)
  batch.add([Op.Shift, 'a', 11], undefined)
  batch.add([Op.Shift, 'a', 9], undefined) // pushed by an older batch: it stays
  const { messageIds, inline, ops } = decoded(batch)
  assert.deepEqual(messageIds, [])
  assert.deepEqual(inline, [[1, 't/kept']])
  assert.deepEqual(ops, [
    [Op.Push, 'a', 10, 1, 1, 0, null, 1, null],
    [Op.Shift, 'a', 9]
  ])
  assert.equal(batch.lastMessageId, 2)
})

test('a shift or a sent mark finds its push among many in the batch; one of an older batch stays an operation', () => {
  const batch = new Batch(1)
  const msg = message(1, 't')
  for (let seq = 100; seq < 300; seq += 2) batch.add([Op.Push, 'a', seq, 1, 1, 0, null, 1, null], msg)
  batch.add([Op.Shift, 'a', 150], undefined)
  batch.add([Op.Sent, 'b', 298, 7], undefined)
  batch.add([Op.Sent, 'c', 151, 8], undefined) // no push has seq 151: an older batch's row
  const { ops } = decoded(batch)
  const pushed = ops.filter((op) => op[0] === Op.Push)
  assert.equal(pushed.length, 99)
  assert.ok(!pushed.some((op) => op[2] === 150), 'the row shifted went with its push')
  assert.deepEqual(pushed.at(-1), [Op.Push, 'a', 298, 1, 1, 0, null, 1, 7], 'written sent')
  assert.deepEqual(
    ops.filter((op) => op[0] !== Op.Push),
    [[Op.Sent, 'c', 151, 8]]
  )
  assert.equal(batch.length, 101, 'every operation kept as written counts toward the limit, after encoding too')
})

test('each message a batch references travels once, in whatever order its operations name it', () => {
  const batch = new Batch(1)
  const [five, three, seven] = [message(5, 'five'), message(3, 'three'), message(7, 'seven')]
  let seq = 0
  for (const msg of [five, three, five, seven, three, seven, five]) batch.add([Op.Push, 'a', ++seq, msg.id, 1, 0, null, 1, null], msg)
  assert.deepEqual(decoded(batch).messageIds, [5, 3, 7])
})

test('a message one push alone refers to travels inline in it; one anything else refers to as well travels on its own', () => {
  const batch = new Batch(1)
  const [alone, twice, alsoInFlight, alsoRetained, inFlight] = [1, 2, 3, 4, 5].map((id) => message(id, `t/${id}`))
  batch.add([Op.Push, 'a', 1, 1, 1, 0, null, 1, null], alone)
  batch.add([Op.Push, 'a', 2, 2, 1, 0, null, 1, null], twice)
  batch.add([Op.Push, 'b', 3, 2, 1, 0, null, 1, null], twice)
  batch.add([Op.Push, 'a', 4, 3, 1, 0, null, 1, null], alsoInFlight)
  batch.add([Op.Retained, 't/4', 4], alsoRetained)
  batch.add([Op.Push, 'b', 5, 4, 1, 0, null, 1, null], alsoRetained)
  batch.add([Op.Inflight, 'c', 1, 'publish', 6, 5, 2, 0, null], inFlight)
  batch.add([Op.Inflight, 'b', 7, 'publish', 7, 3, 1, 0, null], alsoInFlight)
  const { messageIds, inline, ops } = decoded(batch)
  assert.deepEqual(messageIds, [2, 3, 4, 5])
  assert.deepEqual(inline, [[1, 't/1']])
  assert.equal(ops.length, 8, 'every operation goes, inline or not')
})

test('an in-flight record made and deleted in one batch is dropped with its delete; one an older batch made keeps it', () => {
  const batch = new Batch(1)
  const msg = message(5, 't')
  batch.add([Op.Inflight, 'a', 1, 'publish', 1, 5, 2, 0, null], msg)
  batch.add([Op.Inflight, 'a', 1, 'pubrel', 2, 5, 2, 0, null], msg)
  batch.add([Op.Inflight, 'b', 1, 'publish', 3, 5, 2, 0, null], msg)
  batch.add([Op.DeleteInflight, 'a', 1], undefined)
  batch.add([Op.Inflight, 'c', 2, 'pubrel', 4, 5, 2, 0, null], msg) // moved on from a 'publish' an older batch wrote
  batch.add([Op.DeleteInflight, 'c', 2], undefined)
  const { messageIds, ops } = decoded(batch)
  assert.deepEqual(messageIds, [5], 'still referenced by b')
  assert.deepEqual(ops, [
    [Op.Inflight, 'b', 1, 'publish', 3, 5, 2, 0, null],
    [Op.DeleteInflight, 'c', 2]
  ])
})

test('work undone within one batch leaves nothing on disk, and undoes what an older batch wrote', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-sqlite-batch-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const store = new SqliteStore({ dataDir })
  t.after(() => store.close())
  await store.open()
  store.saveSession({ clientId: 'a', protocolVersion: 5, expiryInterval: 60, disconnectedAt: undefined, owner: { username: undefined } })
  store.saveInflight('a', { packetId: 1, state: 'publish', delivery: delivery(message(1, 'old'), 1) })
  await store.flush()

  const queue = store.queue('a')
  queue.setOnline(true)
  queue.push(delivery(message(2, 'new'), 1))
  const moved = queue.shift()!
  store.saveInflight('a', { packetId: 2, state: 'publish', delivery: moved })
  store.deleteInflight('a', 2)
  store.deleteInflight('a', 1)
  store.saveRetained(message(3, 'retained'))
  await store.close()

  const db = connect(store.file, { fileMustExist: true })
  t.after(() => db.close())
  const rows = (table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number
  assert.deepEqual([rows('queue'), rows('inflight')], [0, 0])
  assert.deepEqual(db.prepare('SELECT id FROM messages').pluck().all(), [3])
  assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'last_message_id'").pluck().get(), 3)
})

test('a multi-row insert writes every row, in statements of at most 64 rows', (t) => {
  const db = connect(':memory:')
  t.after(() => db.close())
  db.exec('CREATE TABLE t (a INTEGER, b TEXT)')
  const insert = new MultiRowInsert(db, 'INSERT INTO t (a, b) VALUES', 2)
  const ops: BatchValue[][] = Array.from({ length: 150 }, (_, i) => [Op.Push, i, `row ${i}`])
  insert.run(ops, 1)
  insert.run([])
  const rows = db.prepare('SELECT a, b FROM t ORDER BY rowid').all() as Array<{ a: number; b: string }>
  assert.deepEqual(
    rows.map((row) => [row.a, row.b]),
    ops.map((op) => op.slice(1))
  )
})
