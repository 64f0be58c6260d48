import { closeSync, existsSync, fsyncSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { parentPort } from 'node:worker_threads'
import { BatchReader, type BatchValue, MESSAGE_FIELDS } from './sqlite-batch-codec.js'
import { MultiRowInsert } from './sqlite-multi-row-insert.js'
import type { BatchReply, FromWorker, PageRead, QueueResync, ToWorker } from './sqlite-protocol.js'
import { INLINE_MESSAGE_VALUES, Op, PUSH_VALUES } from './sqlite-protocol.js'
import type { ConnectionOptions, Database, SqliteError } from './sqlite-schema.js'
import { GC_SQL, type OpenFailure, openConnection, QUEUE_MESSAGE_COLUMNS, QUEUE_MESSAGE_JOIN, SWEEP_SQL } from './sqlite-schema.js'
import { readSnapshot } from './sqlite-snapshot-read.js'

/**
 * The store's only connection, on its own thread: better-sqlite3 is synchronous, and a commit waits for an
 * fsync, so the event loop never does. Requests are handled strictly in arrival order; a page read therefore
 * sees every write sent before it.
 */
const port = parentPort
if (port === null) throw new Error('sqlite-worker.js runs as a worker thread')

let db: Database | undefined
let statements: ReturnType<typeof prepare> | undefined
let commits = 0
let walFile = ''
/** The sweep along the queue log: where it goes on, whether a head moved in this cycle, whether it rests. */
const sweep = { from: 0, headsMoved: false, idle: true }

port.on('message', (request: ToWorker) => {
  port.postMessage(handle(request))
})

function handle(request: ToWorker): FromWorker {
  switch (request.type) {
    case 'open':
      return open(request.file, request.options)
    case 'snapshot':
      return { type: 'snapshot', snapshot: readSnapshot(db!) }
    case 'batch':
      return commit(request.id, new BatchReader(request.data, request.length), request.lastMessageId)
    case 'close':
      if (db !== undefined && statements !== undefined) sweepRange(db, statements, 0, Number.MAX_SAFE_INTEGER)
      statements = undefined
      db?.close()
      db = undefined
      return { type: 'closed' }
  }
}

function open(file: string, options: ConnectionOptions): FromWorker {
  try {
    const created = !existsSync(file)
    db = openConnection(file, options)
    if (created) fsyncDirectory(dirname(file)) // the new file's name survives a power loss
    walFile = `${file}-wal`
    statements = prepare(db)
    sweepRange(db, statements, 0, Number.MAX_SAFE_INTEGER)
    return { type: 'opened', snapshot: readSnapshot(db) }
  } catch (error) {
    const failure = error as SqliteError | OpenFailure
    return { type: 'openFailed', code: failure.code ?? 'UNKNOWN', message: failure.message }
  }
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function prepare(db: Database) {
  return {
    // Prepared once: exec would parse them again for every commit.
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    gc: GC_SQL.map((sql) => db.prepare(sql)),
    messages: new MultiRowInsert(
      db,
      'INSERT OR IGNORE INTO messages (id, topic, payload, qos, retain, properties, expires_at, received_at, origin) VALUES',
      MESSAGE_FIELDS
    ),
    session: db.prepare(`INSERT INTO sessions (client_id, protocol_version, expiry_interval, disconnected_at, owner, owner_known)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (client_id) DO UPDATE SET protocol_version = excluded.protocol_version,
        expiry_interval = excluded.expiry_interval, disconnected_at = excluded.disconnected_at,
        owner = excluded.owner, owner_known = excluded.owner_known`),
    deleteSession: ['sessions', 'subscriptions', 'inflight', 'incoming_qos2', 'queue_heads'].map((table) =>
      db.prepare(`DELETE FROM ${table} WHERE client_id = ?`)
    ),
    subscription: db.prepare(`INSERT OR REPLACE INTO subscriptions
      (client_id, full_filter, qos, no_local, retain_as_published, retain_handling, subscription_id) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    deleteSubscription: db.prepare('DELETE FROM subscriptions WHERE client_id = ? AND full_filter = ?'),
    retained: db.prepare(`INSERT INTO retained (topic, message_id) VALUES (?, ?)
      ON CONFLICT (topic) DO UPDATE SET message_id = excluded.message_id`),
    deleteRetained: db.prepare('DELETE FROM retained WHERE topic = ?'),
    pushes: new MultiRowInsert(db, `INSERT OR REPLACE INTO queue (${PUSH_COLUMNS}) VALUES`, PUSH_VALUES - 1),
    inlinePushes: new MultiRowInsert(
      db,
      `INSERT OR REPLACE INTO queue (${PUSH_COLUMNS}, ${INLINE_MESSAGE_COLUMNS}) VALUES`,
      PUSH_VALUES - 1 + INLINE_MESSAGE_VALUES
    ),
    sent: db.prepare('UPDATE queue SET packet_id = ? WHERE seq = ?'),
    shift: db.prepare(`INSERT INTO queue_heads (client_id, seq) VALUES (?, ?)
      ON CONFLICT (client_id) DO UPDATE SET seq = max(seq, excluded.seq)`),
    sweep: db.prepare(SWEEP_SQL),
    lastSeq: db.prepare('SELECT coalesce(max(seq), 0) FROM queue').pluck(),
    clear: db.prepare('DELETE FROM queue WHERE seq BETWEEN ? AND ? AND client_id = ?'),
    inflight: new MultiRowInsert(
      db,
      'INSERT INTO inflight (client_id, packet_id, state, seq, message_id, qos, retain, subscription_ids) VALUES',
      8,
      `ON CONFLICT (client_id, packet_id) DO UPDATE SET state = excluded.state,
        seq = CASE WHEN message_id = excluded.message_id THEN seq ELSE excluded.seq END,
        message_id = excluded.message_id, qos = excluded.qos, retain = excluded.retain, subscription_ids = excluded.subscription_ids`
    ),
    deleteInflight: db.prepare('DELETE FROM inflight WHERE client_id = ? AND packet_id = ?'),
    incoming: db.prepare('INSERT OR IGNORE INTO incoming_qos2 (client_id, packet_id) VALUES (?, ?)'),
    deleteIncoming: db.prepare('DELETE FROM incoming_qos2 WHERE client_id = ? AND packet_id = ?'),
    lastMessageId: db.prepare("UPDATE meta SET value = max(value, ?) WHERE key = 'last_message_id'"),
    row: db.prepare(`SELECT q.seq, q.bytes, q.qos AS delivery_qos, q.retain AS delivery_retain, q.subscription_ids, ${QUEUE_MESSAGE_COLUMNS}
      FROM queue q ${QUEUE_MESSAGE_JOIN} WHERE q.seq = ? AND q.client_id = ?`),
    rowsInRange: db
      .prepare('SELECT seq, bytes FROM queue WHERE seq BETWEEN ? AND ? AND client_id = ? AND packet_id IS NULL ORDER BY seq')
      .raw(),
    freePages: db.prepare('PRAGMA freelist_count').pluck()
  }
}

type Statements = ReturnType<typeof prepare>

/** The values of an Op.Push after its Op, in order; a push with its message inline has INLINE_MESSAGE_COLUMNS' after them. */
const PUSH_COLUMNS = 'client_id, seq, message_id, qos, retain, subscription_ids, bytes, packet_id'
const INLINE_MESSAGE_COLUMNS = 'topic, payload, message_qos, message_retain, properties, expires_at, received_at, origin'

function commit(id: number, batch: BatchReader, lastMessageId: number): BatchReply {
  const connection = db
  const s = statements
  if (connection === undefined || s === undefined) {
    return { type: 'batch', id, error: { code: 'CLOSED', message: 'the store is closed' }, reads: [], resyncs: [] }
  }
  const answers: Answers = { reads: [], resyncs: [] }
  const messages: BatchValue[][] = []
  for (let i = 0; i < batch.messageCount; i++) messages.push(batch.values(MESSAGE_FIELDS))
  const ops: BatchValue[][] = []
  for (let i = 0; i < batch.operationCount; i++) ops.push(batch.operation())
  try {
    s.begin.run()
    s.messages.run(messages)
    applyAll(s, ops, answers)
    if (lastMessageId > 0) s.lastMessageId.run(lastMessageId)
    for (const statement of s.gc) statement.run()
    s.commit.run()
  } catch (error) {
    if (connection.inTransaction) connection.exec('ROLLBACK')
    connection.exec('DELETE FROM temp.gc')
    const failure = error as SqliteError
    // The reads still answer, from what is on disk without this batch.
    const unwritten: Answers = { reads: [], resyncs: [] }
    for (const op of ops) if (op[0] === Op.Read || op[0] === Op.Resync) apply(s, op, unwritten)
    return { type: 'batch', id, error: { code: failure.code ?? 'UNKNOWN', message: failure.message }, ...unwritten }
  }
  housekeeping(connection, s)
  return { type: 'batch', id, ...answers }
}

/** What the reads of a batch answer. */
interface Answers {
  reads: PageRead[]
  resyncs: QueueResync[]
}

/**
 * Applies the operations in order, but for runs of queue pushes and in-flight writes, which go in multi-row inserts
 * (an offline fan-out, a busy subscriber's window). Within a run the in-flight deletes go first: they commute with
 * everything in it but in-flight writes of the same packet id, and Batch has dropped every in-flight write that came
 * before a delete of its id in the batch, so for each id its deletes come before its writes anyway.
 */
function applyAll(s: Statements, ops: readonly BatchValue[][], answers: Answers): void {
  let pushes: BatchValue[][] = []
  let inlinePushes: BatchValue[][] = []
  let inflight: BatchValue[][] = []
  let deletes: BatchValue[][] = []
  const flushRun = (): void => {
    for (const op of deletes) s.deleteInflight.run(op[1], op[2])
    if (inflight.length > 0) s.inflight.run(inflight, 1)
    if (pushes.length > 0) s.pushes.run(pushes, 1)
    if (inlinePushes.length > 0) s.inlinePushes.run(inlinePushes, 1)
    pushes = []
    inlinePushes = []
    inflight = []
    deletes = []
  }
  for (const op of ops) {
    switch (op[0]) {
      case Op.Push:
        if (op.length > PUSH_VALUES) inlinePushes.push(op)
        else pushes.push(op)
        break
      case Op.Inflight:
        inflight.push(op)
        break
      case Op.DeleteInflight:
        deletes.push(op)
        break
      case Op.Shift: // moves a head past rows of older batches: commutes with the run
      case Op.Sent: // marks a row of an older batch (Batch folds it into a push of its own): commutes with the run
        apply(s, op, answers)
        break
      default:
        flushRun()
        apply(s, op, answers)
    }
  }
  flushRun()
}

function apply(s: Statements, op: BatchValue[], answers: Answers): void {
  switch (op[0] as Op) {
    case Op.Session:
      s.session.run(op[1], op[2], op[3], op[4], op[5], op[6])
      break
    case Op.DeleteSession:
      for (const statement of s.deleteSession) statement.run(op[1])
      if (op[2] !== null) s.clear.run(op[2], op[3], op[1])
      break
    case Op.Subscription:
      s.subscription.run(op[1], op[2], op[3], op[4], op[5], op[6], op[7])
      break
    case Op.DeleteSubscription:
      s.deleteSubscription.run(op[1], op[2])
      break
    case Op.Retained:
      s.retained.run(op[1], op[2])
      break
    case Op.DeleteRetained:
      s.deleteRetained.run(op[1])
      break
    // Op.Push, Op.Inflight, Op.DeleteInflight: applyAll writes runs of them.
    case Op.Shift:
      s.shift.run(op[1], op[2])
      sweep.headsMoved = true
      sweep.idle = false
      break
    case Op.Sent:
      s.sent.run(op[3], op[2])
      break
    case Op.Clear:
      s.clear.run(op[2], op[3], op[1])
      break
    case Op.Incoming:
      s.incoming.run(op[1], op[2])
      break
    case Op.DeleteIncoming:
      s.deleteIncoming.run(op[1], op[2])
      break
    case Op.Read:
      answers.reads.push(readPage(s, op))
      break
    case Op.Resync:
      answers.resyncs.push(resync(s, op))
      break
  }
}

/** The queue rows of the seqs asked for, by key; a row whose message is missing (a salvaged file) is left out. */
function readPage(s: Statements, op: BatchValue[]): PageRead {
  const [, clientId, token, keys] = op as [Op, string, number, Uint8Array]
  const seqs = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength)
  const rows: PageRead['rows'] = []
  let bytes = 0
  for (let at = 0; at < seqs.length; at += 8) {
    const row = s.row.get(seqs.readDoubleLE(at), clientId) as (PageRead['rows'][number] & { bytes: number }) | undefined
    if (row === undefined) continue
    bytes += row.bytes
    if (row.id !== null) rows.push(row)
  }
  return { token, rows, bytes }
}

function resync(s: Statements, op: BatchValue[]): QueueResync {
  const [, clientId, token, from, upTo] = op as [Op, string, number, number, number]
  const found = s.rowsInRange.all(from, upTo, clientId) as Array<[number, number]>
  const seqs = new Float64Array(found.length)
  let bytes = 0
  found.forEach(([seq, size], i) => {
    seqs[i] = seq
    bytes += size
  })
  return { token, upTo, seqs, bytes }
}

/**
 * Keeps the files from growing without bound: better-sqlite3 checkpoints the WAL at 1000 pages and
 * journal_size_limit truncates it afterwards; now and then the WAL is truncated outright and free pages
 * left by a burst are returned to the file system.
 */
function housekeeping(connection: Database, s: Statements): void {
  commits++
  if (commits % 16 === 0) sweepStep(connection, s)
  if (commits % 64 !== 0) return
  if (statSize(walFile) > 16 * 1024 * 1024) connection.pragma('wal_checkpoint(TRUNCATE)')
  if (commits % 1024 !== 0) return
  const free = s.freePages.get() as number
  if (free > 2048) connection.exec(`PRAGMA incremental_vacuum(${free - 1024})`)
}

/** Seqs the sweep covers in one step: it keeps up with pushes up to this many per 16 commits. */
const SWEEP_SPAN = 65_536

/**
 * Deletes the delivered rows of the next span of the log; back to the start at its end. A cycle over the whole log
 * follows every cycle in which a head moved, so rows delivered behind the sweep are reached by the next one.
 */
function sweepStep(connection: Database, s: Statements): void {
  if (sweep.idle) return
  const last = s.lastSeq.get() as number
  if (sweep.from > last) {
    sweep.from = 0
    sweep.idle = !sweep.headsMoved
    sweep.headsMoved = false
    if (sweep.idle) return
  }
  const to = Math.min(sweep.from + SWEEP_SPAN - 1, last)
  sweepRange(connection, s, sweep.from, to)
  sweep.from = to + 1
}

/** Deletes the delivered rows with seq in [from, to] in a transaction of its own; on failure (a full disk) they stay. */
function sweepRange(connection: Database, s: Statements, from: number, to: number): void {
  try {
    s.begin.run()
    s.sweep.run(from, to)
    for (const statement of s.gc) statement.run()
    s.commit.run()
  } catch {
    if (connection.inTransaction) connection.exec('ROLLBACK')
    connection.exec('DELETE FROM temp.gc')
  }
}

function statSize(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}
