import { createRequire } from 'node:module'

/**
 * The part of better-sqlite3's API the history store uses, typed here because the package ships no types and
 * none are installed. Statements are used in raw mode: rows come back as arrays, typed by `Row`.
 */
export interface SqliteStatement<Params extends unknown[], Row = never> {
  run (...params: Params): { changes: number, lastInsertRowid: number | bigint }
  get (...params: Params): Row | undefined
  all (...params: Params): Row[]
  raw (on?: boolean): SqliteStatement<Params, Row>
}

export interface SqliteDatabase {
  readonly name: string
  readonly open: boolean
  prepare<Params extends unknown[] = unknown[], Row = never> (sql: string): SqliteStatement<Params, Row>
  exec (sql: string): SqliteDatabase
  pragma (sql: string, options?: { simple: boolean }): unknown
  /** Wraps `fn` in BEGIN … COMMIT, or ROLLBACK when it throws. */
  transaction<Args extends unknown[]> (fn: (...args: Args) => void): (...args: Args) => void
  close (): void
}

type DatabaseConstructor = new (path: string) => SqliteDatabase

const require = createRequire(import.meta.url)

export function openSqlite (path: string): SqliteDatabase {
  const Driver = require('better-sqlite3') as DatabaseConstructor
  return new Driver(path)
}
