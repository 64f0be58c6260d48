import type { SqliteDatabase } from './sqlite-driver.js'

/**
 * `PRAGMA user_version` holds SCHEMA_VERSION. Bump it whenever a table, column, key or the meaning of a stored
 * value changes (units, bucket alignment, what a rollup column sums), and teach openHistorySchema to migrate
 * the version before it; a file of a newer version is refused rather than misread.
 */
export const SCHEMA_VERSION = 1

/**
 * devices: the text id `{site}/{device}` once, so every other row carries a small integer.
 * readings: one row per device and measurement time (ms); the key makes a re-sent reading a no-op.
 * recent_readings: the same for the minute still being filled, moved to readings when a newer one begins (see
 * sqlite-readings.ts); a reading is in one of the two.
 * rollup_1m, rollup_1h: per device and bucket start (ms, aligned to the epoch) the sums the API's min, mean and
 * max come from; mean = sum / count, setpoint = setpoint_sum / setpoint_count (readings without one excluded).
 * pending_1m, pending_1h: the same sums for buckets still being filled, moved to rollup_* when a newer bucket
 * begins (see sqlite-rollups.ts); a bucket's sums are its rollup_* row plus its pending_* row.
 * retention: the cutoff applyRetention last used per resolution: data before it may be gone, so 'auto' does not
 * pick that resolution for a range starting earlier.
 */
function readingsTable(name: string): string {
  return `CREATE TABLE ${name} (
  device INTEGER NOT NULL,
  time INTEGER NOT NULL,
  temperature REAL NOT NULL,
  setpoint REAL,
  heating INTEGER,
  humidity REAL,
  PRIMARY KEY (device, time)
) WITHOUT ROWID;`
}

function rollupTable(name: string): string {
  return `CREATE TABLE ${name} (
  device INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  minimum REAL NOT NULL,
  maximum REAL NOT NULL,
  sum REAL NOT NULL,
  count INTEGER NOT NULL,
  setpoint_sum REAL NOT NULL,
  setpoint_count INTEGER NOT NULL,
  PRIMARY KEY (device, bucket)
) WITHOUT ROWID;`
}

const SCHEMA_SQL = `
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL UNIQUE,
  site TEXT NOT NULL,
  device TEXT NOT NULL,
  source TEXT NOT NULL
);
${readingsTable('readings')}
${readingsTable('recent_readings')}
${rollupTable('rollup_1m')}
${rollupTable('rollup_1h')}
${rollupTable('pending_1m')}
${rollupTable('pending_1h')}
CREATE TABLE retention (
  resolution TEXT PRIMARY KEY,
  cutoff INTEGER NOT NULL
) WITHOUT ROWID;
`

export type HistorySynchronous = 'full' | 'normal'

/**
 * Prepares `db` for the history store: WAL, the durability level, and the schema (created on a new file,
 * checked on an existing one).
 *
 * Durability: in WAL mode a commit is in the -wal file before `write()` resolves, so an acknowledged reading
 * survives a crash of the process with either level. 'full' (the default) also fsyncs the WAL on every commit,
 * so it survives an OS crash or power loss too, like the broker's store; that costs one fsync per batch, not
 * per reading, which the batched write path affords. 'normal' leaves the last commits to the OS page cache
 * until the next checkpoint: for a disk where fsync is slow and losing the last seconds on power loss is
 * acceptable.
 */
export function openHistorySchema(db: SqliteDatabase, synchronous: HistorySynchronous): void {
  // 16 KiB pages: a batch dirties about one page per device in each table, and bigger pages cost SQLite about
  // half the CPU per reading that 4 KiB ones do (measured with test/bench/history-bench.ts). Only a new file
  // takes it; an existing one keeps its page size.
  db.pragma('page_size = 16384')
  db.pragma('journal_mode = WAL')
  db.pragma('journal_size_limit = 67108864')
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  const version = db.pragma('user_version', { simple: true }) as number
  if (version === 0) {
    db.exec(`BEGIN; ${SCHEMA_SQL} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`)
  } else if (version !== SCHEMA_VERSION) {
    throw new Error(`${db.name}: history schema version ${version}, this thermopost reads version ${SCHEMA_VERSION}`)
  }
}
