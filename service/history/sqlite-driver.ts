import { createRequire } from 'node:module'
import type BetterSqlite3 from 'better-sqlite3'

export type SqliteDatabase = BetterSqlite3.Database
/** Statements are used in raw mode: rows come back as arrays, typed by `Row`. */
export type SqliteStatement<Params extends unknown[], Row = unknown> = BetterSqlite3.Statement<Params, Row>

const require = createRequire(import.meta.url)

/** `options.timeout`: how long a statement waits for another connection's lock, ms (the driver's default is 5000). */
export function openSqlite(path: string, options: { timeout?: number } = {}): SqliteDatabase {
  const Driver = require('better-sqlite3') as typeof BetterSqlite3
  return new Driver(path, options)
}
