import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'
import { MultiRowStatements } from './sqlite-multi-row.js'
import { Staging } from './sqlite-staging.js'

export type ReadingRow = [time: number, temperature: number, setpoint: number | null, heating: number | null, humidity: number | null]

const COLUMNS = 6
const MINUTE = 60_000

/**
 * The raw readings, written through a staging table (see sqlite-staging.ts): a batch inserts into
 * recent_readings, whose rows are the minute still being filled, and they move to readings once a newer minute
 * has begun. Invariant: a reading is in exactly one of the two tables, so an insert checks both for a duplicate
 * and reads take both.
 */
export class SqliteReadings {
  private readonly insertMany: MultiRowStatements
  private readonly insertOne: SqliteStatement<unknown[]>
  private readonly staging: Staging
  private readonly stored: SqliteStatement<[number, number, number, number], ReadingRow>
  private readonly recent: SqliteStatement<[number, number, number, number], ReadingRow>

  constructor(db: SqliteDatabase) {
    const insert = (values: string): string => `INSERT INTO recent_readings SELECT * FROM (VALUES ${values}) AS v
      WHERE NOT EXISTS (SELECT 1 FROM readings WHERE device = v.column1 AND time = v.column2)
      ON CONFLICT (device, time) DO NOTHING`
    this.insertMany = new MultiRowStatements(db, COLUMNS, insert)
    this.insertOne = db.prepare<unknown[]>(insert(`(${Array(COLUMNS).fill('?').join(', ')})`))
    this.staging = new Staging(db, { staging: 'recent_readings', big: 'readings', column: 'time', bucketMs: MINUTE, onConflict: '' })
    const select = (table: string): string => `SELECT time, temperature, setpoint, heating, humidity FROM ${table}
      WHERE device = ? AND time >= ? AND time < ? ORDER BY time LIMIT ?`
    this.stored = db.prepare<[number, number, number, number], ReadingRow>(select('readings')).raw()
    this.recent = db.prepare<[number, number, number, number], ReadingRow>(select('recent_readings')).raw()
  }

  /** `values`: rows of (device, time, temperature, setpoint, heating, humidity). Returns how many were new. */
  insert(values: readonly unknown[]): number {
    return this.insertMany.run(values).reduce((sum, changes) => sum + changes, 0)
  }

  /** One row; whether it was new. */
  insertRow(values: readonly unknown[]): boolean {
    return this.insertOne.run(...values).changes === 1
  }

  /** Inside the transaction that inserted readings measured from `oldest` to `newest`. */
  written(oldest: number, newest: number): void {
    this.staging.written(oldest, newest)
  }

  /** Inside a transaction: moves every recent reading to the readings table. */
  moveAll(): void {
    this.staging.moveAll()
  }

  /** A device's readings in [from, to), ascending, at most `limit`. */
  rows(device: number, from: number, to: number, limit = Number.MAX_SAFE_INTEGER): ReadingRow[] {
    const recent = this.recent.all(device, from, to, limit)
    const stored = this.stored.all(device, from, to, limit)
    if (recent.length === 0) return stored
    return [...stored, ...recent].sort((a, b) => a[0] - b[0]).slice(0, limit)
  }
}
