import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { openSqlite, type SqliteDatabase } from '../history/sqlite-driver.js'

/**
 * The service's own state in the data directory (`service-state.db`), beside the history: the devices the
 * registry has seen, every command sent and every alert raised. Small and written rarely (devices in periodic batches, commands
 * on each change), so WAL with synchronous=NORMAL: a power cut may lose the last moments, a crash does not.
 *
 * SCHEMA_VERSION is kept in `user_version`; bump it whenever a table or column changes meaning, and teach
 * `openStateDb` to migrate from the versions before it. Version 2 added the alerts table; a version 1 file
 * gets it from the CREATE TABLE IF NOT EXISTS below, nothing else changed.
 */
export const SCHEMA_VERSION = 2
export const STATE_FILE = 'service-state.db'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY,
  site TEXT NOT NULL,
  device TEXT NOT NULL,
  source TEXT NOT NULL,
  meta TEXT,
  last_reading TEXT,
  last_seen INTEGER
);
CREATE TABLE IF NOT EXISTS commands (
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS commands_by_device ON commands (device_id, created_at);
CREATE INDEX IF NOT EXISTS commands_by_state ON commands (state);
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  raised_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts (state, raised_at);
`

export class StateVersionError extends Error {}

export function openStateDb(dataDir: string): SqliteDatabase {
  mkdirSync(dataDir, { recursive: true })
  const db = openSqlite(join(dataDir, STATE_FILE))
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > SCHEMA_VERSION) {
    db.close()
    throw new StateVersionError(`${join(dataDir, STATE_FILE)} has schema version ${version}, newer than this service's ${SCHEMA_VERSION}`)
  }
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(SCHEMA)
  db.pragma(`user_version = ${SCHEMA_VERSION}`)
  return db
}
