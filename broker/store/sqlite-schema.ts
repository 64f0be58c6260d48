import { createRequire } from 'node:module'
import type BetterSqlite3 from 'better-sqlite3'
import type { QoS } from 'mqtt-packet'
import type { Message } from '../message.js'
import { decodeProperties } from './properties-json.js'

/**
 * The on-disk format of the SQLite store, and opening a connection to it.
 *
 * `PRAGMA user_version` holds SCHEMA_VERSION. Bump it whenever a table, column, index or the meaning of a
 * stored value changes (a new column, a different JSON form of `properties`, a new order key), add the
 * step that upgrades the previous version in `openConnection`, and commit a golden file of the new version
 * under test/broker/store/golden/. A file with a higher version than this code knows is refused.
 *
 * Versions: 1, the first. 2, a session's owner: `owner` the user name (NULL: anonymous) when `owner_known` is 1;
 * sessions upgraded from 1 have `owner_known` 0 (no one may resume them, see SessionOwner). 3, the queue is one log
 * of every session's rows keyed by seq alone (append order) instead of a table keyed by (client_id, seq), with a
 * head per session that marks what is delivered: see QUEUE_SQL. 4, a QoS 1 delivery in flight stays its queue row,
 * with the packet id it went out with in `queue.packet_id` (NULL: waiting), until its PUBACK moves the head past it
 * (see SentRows); `inflight` keeps the others (QoS 2, and deliveries sent while older rows wait), and its `seq` now
 * comes from the queue's counter, so the rows of both tables are in the order sent (the upgrade from 3 moves the old
 * in-flight seqs below zero, ahead of every row sent later). 5, a queue row may hold its message inline (see
 * QUEUE_INLINE_SQL); rows of older files all refer to `messages`.
 *
 * A message is stored inline in the one queue row that refers to it (format 5), or else once in `messages` and
 * referenced by queue, in-flight and retained rows; it is deleted from `messages` at the end of the transaction
 * that removes its last reference (see GC_SQL). `meta.last_message_id` keeps
 * the highest message id ever stored, so ids are never reused although message rows come and go.
 */
export const SCHEMA_VERSION = 5

/**
 * The queue log: a row per delivery waiting for a session, keyed by `seq` alone. One counter numbers every
 * session's rows, so rows are appended in the order pushed, and a commit that pushes to a thousand offline
 * sessions writes a few adjacent pages at the end of the table, where a key of (client_id, seq) changed a leaf
 * page per session (each one a 4 KiB page in the WAL). No index leads by client: the broker keeps each queue's
 * seqs in memory (read once at open) and reads a page by its keys; clearing a queue deletes its seq range.
 *
 * `queue_heads` says how far each queue is delivered: its rows with seq <= `seq` are gone. Shifting a row moves
 * the head (once per session per commit) instead of deleting the row, which would change a page per row while a
 * queue drains from among the rows of other sessions; the delivered rows are deleted later, many per page, by a
 * sweep along the log (and at open and close).
 */
export const QUEUE_HEADS_SQL = 'CREATE TABLE queue_heads (client_id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;'

const QUEUE_SQL = `
CREATE TABLE queue (
  seq INTEGER PRIMARY KEY,
  client_id TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  subscription_ids TEXT,
  bytes INTEGER NOT NULL
);
CREATE INDEX queue_message ON queue (message_id);
${QUEUE_HEADS_SQL}
`

/**
 * Format 4's column of the queue log: the packet id a row in flight went out with (see SentRows). Added to the table of
 * format 3 in a new file as in an upgraded one, so both have the same table.
 */
const QUEUE_PACKET_ID_SQL = 'ALTER TABLE queue ADD COLUMN packet_id INTEGER;'

/**
 * Format 5's columns of the queue log: the message of a row, inline, when the batch that wrote the row referred to
 * it nowhere else (the usual case: a message for one offline session, or for one persistent subscriber). Such a row
 * costs one insert into the log, where a row referring to `messages` cost three (the message, the row, the index
 * entry); `topic` IS NOT NULL marks it. Its `message_id` is the message's id, but no reference: `queue_message`
 * indexes only the rows without an inline message, and only those keep a `messages` row alive (GC_SQL). A later
 * batch that refers to the same message again (the delivery going in flight as an in-flight row) writes its
 * `messages` row then: every batch carries the messages its operations refer to.
 */
const QUEUE_INLINE_SQL = `
ALTER TABLE queue ADD COLUMN topic TEXT;
ALTER TABLE queue ADD COLUMN payload BLOB;
ALTER TABLE queue ADD COLUMN message_qos INTEGER;
ALTER TABLE queue ADD COLUMN message_retain INTEGER;
ALTER TABLE queue ADD COLUMN properties TEXT;
ALTER TABLE queue ADD COLUMN expires_at INTEGER;
ALTER TABLE queue ADD COLUMN received_at INTEGER;
ALTER TABLE queue ADD COLUMN origin TEXT;
DROP INDEX queue_message;
CREATE INDEX queue_message ON queue (message_id) WHERE topic IS NULL;
`

/** Deletes the delivered rows of the queue log with seq in a range (both ends included). */
export const SWEEP_SQL = `DELETE FROM queue WHERE seq BETWEEN ? AND ?
  AND seq <= (SELECT h.seq FROM queue_heads h WHERE h.client_id = queue.client_id)`

const SCHEMA_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('last_message_id', 0);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  properties TEXT,
  expires_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  origin TEXT NOT NULL
);
CREATE TABLE sessions (
  client_id TEXT PRIMARY KEY,
  protocol_version INTEGER NOT NULL,
  expiry_interval INTEGER NOT NULL,
  disconnected_at INTEGER,
  owner TEXT,
  owner_known INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE subscriptions (
  client_id TEXT NOT NULL,
  full_filter TEXT NOT NULL,
  qos INTEGER NOT NULL,
  no_local INTEGER NOT NULL,
  retain_as_published INTEGER NOT NULL,
  retain_handling INTEGER NOT NULL,
  subscription_id INTEGER,
  PRIMARY KEY (client_id, full_filter)
) WITHOUT ROWID;
${QUEUE_SQL}
${QUEUE_PACKET_ID_SQL}
${QUEUE_INLINE_SQL}
-- seq is the order first sent; a later save of the same packet id and message keeps it.
CREATE TABLE inflight (
  client_id TEXT NOT NULL,
  packet_id INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('publish', 'pubrel')),
  seq INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  subscription_ids TEXT,
  PRIMARY KEY (client_id, packet_id)
) WITHOUT ROWID;
CREATE INDEX inflight_message ON inflight (message_id);
CREATE TABLE incoming_qos2 (
  client_id TEXT NOT NULL,
  packet_id INTEGER NOT NULL,
  UNIQUE (client_id, packet_id)
);
CREATE TABLE retained (topic TEXT PRIMARY KEY, message_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX retained_message ON retained (message_id);
`

/** The step that upgrades a file of each older version to the next one. */
const UPGRADE_SQL: Readonly<Record<number, string>> = {
  1: 'ALTER TABLE sessions ADD COLUMN owner TEXT; ALTER TABLE sessions ADD COLUMN owner_known INTEGER NOT NULL DEFAULT 0;',
  // Seqs were already one counter for every session, so the rows keep them.
  2: `ALTER TABLE queue RENAME TO queue_v2; DROP INDEX queue_message; ${QUEUE_SQL}
    INSERT INTO queue SELECT seq, client_id, message_id, qos, retain, subscription_ids, bytes FROM queue_v2 ORDER BY seq;
    DROP TABLE queue_v2;`,
  // In-flight seqs had a counter of their own: below every queue seq now, they keep their order ahead of the rows sent later.
  3: `${QUEUE_PACKET_ID_SQL} UPDATE inflight SET seq = seq - (SELECT max(seq) FROM inflight) - 1;`,
  // Every row refers to `messages`: the columns stay NULL, and the index keeps them all.
  4: QUEUE_INLINE_SQL
}

/**
 * Per connection: message ids that lost a reference during the current transaction, and the triggers that
 * collect them. Temp triggers, so the file holds no code and a reference removed and re-added in one batch
 * (a delivery shifted from the queue into the in-flight window) never deletes the message.
 * The table has no key on purpose: an UPSERT's conflict policy overrides the one of the statements in the
 * triggers it fires, so an OR IGNORE there would not stop a second insert of the same id from failing.
 */
const GC_SETUP_SQL = `
CREATE TEMP TABLE gc (id INTEGER);
CREATE TEMP TRIGGER gc_queue AFTER DELETE ON main.queue WHEN old.topic IS NULL BEGIN INSERT INTO gc VALUES (old.message_id); END;
CREATE TEMP TRIGGER gc_inflight AFTER DELETE ON main.inflight BEGIN INSERT INTO gc VALUES (old.message_id); END;
CREATE TEMP TRIGGER gc_inflight_update AFTER UPDATE OF message_id ON main.inflight BEGIN INSERT INTO gc VALUES (old.message_id); END;
CREATE TEMP TRIGGER gc_retained AFTER DELETE ON main.retained BEGIN INSERT INTO gc VALUES (old.message_id); END;
CREATE TEMP TRIGGER gc_retained_update AFTER UPDATE OF message_id ON main.retained BEGIN INSERT INTO gc VALUES (old.message_id); END;
`

/** Deletes the collected messages nothing refers to any more, then forgets them; run in order before each commit. */
export const GC_SQL: readonly string[] = [
  `DELETE FROM messages WHERE id IN (SELECT id FROM temp.gc)
  AND NOT EXISTS (SELECT 1 FROM queue WHERE message_id = messages.id AND topic IS NULL)
  AND NOT EXISTS (SELECT 1 FROM inflight WHERE message_id = messages.id)
  AND NOT EXISTS (SELECT 1 FROM retained WHERE message_id = messages.id)`,
  'DELETE FROM temp.gc'
]

export type Database = BetterSqlite3.Database
export type Statement = BetterSqlite3.Statement

/** An error from SQLite, as better-sqlite3 throws it: `code` is 'SQLITE_FULL', 'SQLITE_CORRUPT', ... */
export interface SqliteError extends Error {
  code: string
}

const require = createRequire(import.meta.url)
/** Loaded on first use: a broker on the memory store never loads the native module. */
let driver: typeof BetterSqlite3 | undefined

export function connect(file: string, options?: { fileMustExist?: boolean }): Database {
  driver ??= require('better-sqlite3') as typeof BetterSqlite3
  return new driver(file, options)
}

/** Why a file cannot be used as a store: SQLite's code ('SQLITE_CORRUPT', ...) or one of ours. */
export class OpenFailure extends Error {
  constructor(
    message: string,
    readonly code: string
  ) {
    super(message)
    this.name = 'OpenFailure'
  }
}

export interface ConnectionOptions {
  /** Caps the file at this many pages (4 KiB each); a commit that needs more fails as a full disk. */
  maxPages?: number
}

/**
 * Opens the store's file, creating the schema in a new one, and checks that an existing one is a store of a
 * version this code reads and is not damaged. Returns the connection and whether the file was created.
 */
export function openConnection(file: string, options: ConnectionOptions = {}): Database {
  const db = connect(file)
  try {
    takeExclusiveLock(db)
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > SCHEMA_VERSION) {
      throw new OpenFailure(
        `written by a newer thermopost (format version ${version}; this one reads up to ${SCHEMA_VERSION})`,
        'NEWER_VERSION'
      )
    }
    const tables = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get() as number
    if (version === 0 && tables > 0) throw new OpenFailure('not a thermopost store (it has tables but no format version)', 'NOT_A_STORE')
    if (version === 0) db.pragma('auto_vacuum = INCREMENTAL') // only takes effect before the first table
    // The WAL settings: every commit appends its pages to the WAL and fsyncs it (synchronous FULL: better-sqlite3's
    // SQLite defaults WAL to NORMAL, which skips that fsync); SQLite's own checkpoint every 1000 pages copies them
    // into the file, and the WAL is cut back to 8 MiB after it (see also housekeeping in sqlite-worker.ts).
    // Measured: checkpointing every 4096 pages instead saves about 15 % of the CPU of a wide offline fan-out
    // (each batch changes the last leaf page of hundreds of queues; a checkpoint writes a page once however
    // often it changed), but lets the WAL grow to 16 MiB; we keep the files small.
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('journal_size_limit = 8388608')
    db.pragma('recursive_triggers = ON') // a REPLACE's implicit delete must reach the GC triggers too
    if (options.maxPages !== undefined) db.pragma(`max_page_count = ${options.maxPages}`)
    if (version === 0) {
      db.exec(`BEGIN; ${SCHEMA_SQL} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`)
    } else {
      const check = (db.pragma('quick_check(10)') as Array<{ quick_check: string }>).map((row) => row.quick_check).join('; ')
      if (check !== 'ok') throw new OpenFailure(`the file is damaged: quick_check says ${check}`, 'SQLITE_CORRUPT')
      for (let from = version; from < SCHEMA_VERSION; from++) {
        db.exec(`BEGIN; ${UPGRADE_SQL[from]} PRAGMA user_version = ${from + 1}; COMMIT;`)
      }
    }
    db.exec(GC_SETUP_SQL)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

/** The format version a file's tables have: for a salvaged file whose `user_version` was lost. */
export function formatVersionOfTables(db: Database): number {
  const queueColumns = db.prepare("SELECT name, pk FROM pragma_table_info('queue')").raw().all() as Array<[string, number]>
  if (queueColumns.some(([name]) => name === 'topic')) return 5
  if (queueColumns.some(([name]) => name === 'packet_id')) return 4
  if (queueColumns.filter(([, pk]) => pk > 0).length === 1) return 3
  const sessionColumns = db.prepare("SELECT name FROM pragma_table_info('sessions')").pluck().all() as string[]
  return sessionColumns.includes('owner_known') ? 2 : 1
}

/**
 * One broker per store: the connection keeps SQLite's exclusive lock for as long as it is open, so a
 * second broker started on the same data directory stops at once instead of interleaving its writes
 * (and, in WAL mode, no shared-memory file is needed).
 */
function takeExclusiveLock(db: Database): void {
  db.pragma('busy_timeout = 0')
  db.pragma('locking_mode = EXCLUSIVE')
  try {
    db.exec('BEGIN IMMEDIATE; COMMIT;')
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY') === true) {
      throw new OpenFailure('in use by another process (is another broker running on this data directory?)', 'IN_USE')
    }
    throw error
  }
}

/** The columns of a message as the worker reads them (`payload` arrives as a Uint8Array after postMessage). */
export interface MessageRow {
  id: number
  topic: string
  payload: Uint8Array
  qos: number
  retain: number
  properties: string | null
  expires_at: number
  received_at: number
  origin: string
}

export const MESSAGE_COLUMNS = 'm.id, m.topic, m.payload, m.qos, m.retain, m.properties, m.expires_at, m.received_at, m.origin'

/**
 * A queue row's message as MESSAGE_COLUMNS, from the row itself when inline (format 5), otherwise from `messages`
 * joined as QUEUE_MESSAGE_JOIN: `m` is all NULL for an inline row, so each column is the row's or else the message's.
 * `id` is NULL for a row whose message is missing (a salvaged file).
 */
export const QUEUE_MESSAGE_COLUMNS = `CASE WHEN q.topic IS NULL THEN m.id ELSE q.message_id END AS id,
  coalesce(q.topic, m.topic) AS topic, coalesce(q.payload, m.payload) AS payload, coalesce(q.message_qos, m.qos) AS qos,
  coalesce(q.message_retain, m.retain) AS retain, coalesce(q.properties, m.properties) AS properties,
  coalesce(q.expires_at, m.expires_at) AS expires_at, coalesce(q.received_at, m.received_at) AS received_at,
  coalesce(q.origin, m.origin) AS origin`

/** Joins a queue row `q` to its message `m` unless the row holds it inline. */
export const QUEUE_MESSAGE_JOIN = 'LEFT JOIN messages m ON q.topic IS NULL AND m.id = q.message_id'

export function toMessage(row: MessageRow): Message {
  const payload = row.payload
  return {
    id: row.id,
    topic: row.topic,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    qos: row.qos as QoS,
    retain: row.retain === 1,
    properties: decodeProperties(row.properties),
    expiresAt: row.expires_at,
    receivedAt: row.received_at,
    origin: row.origin,
    forms: undefined
  }
}

/** Subscription identifiers as stored: JSON text, NULL for none. */
export function subscriptionIdsText(ids: number[] | undefined): string | null {
  return ids === undefined ? null : JSON.stringify(ids)
}

export function toSubscriptionIds(json: string | null): number[] | undefined {
  return json === null ? undefined : (JSON.parse(json) as number[])
}
