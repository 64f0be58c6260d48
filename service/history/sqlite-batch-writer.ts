import type { Reading } from '../reading.js'
import { BucketTally, type BucketSums } from './bucket-tally.js'
import { RESOLUTION_MS } from './history-store.js'
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'

/** Rows per multi-row statement: one statement call per this many rows instead of one per row. */
const CHUNK = 128
const READING_COLUMNS = 6
const ROLLUP_COLUMNS = 8

/** Thrown inside the fast transaction when a chunk held a duplicate: the batch is rolled back and redone row by row. */
class DuplicateInChunk extends Error {}

/**
 * Writes a batch of readings and its rollups in one transaction. The fast way inserts readings a chunk at a
 * time; a chunk's change count only says *that* some row was a duplicate (a re-sent QoS 1 message, a reading
 * already stored), not which, and only rows actually inserted may reach the rollups, so such a batch is
 * rolled back and written again row by row, where each insert says whether it counted. Duplicates are rare,
 * so the slow way is too.
 */
export class SqliteBatchWriter {
  private readonly insertDevice: SqliteStatement<[string, string, string, string]>
  private readonly insertReading: SqliteStatement<unknown[]>
  private readonly statements = new Map<string, SqliteStatement<unknown[]>>()
  private readonly fast: (readings: readonly Reading[]) => void
  private readonly slow: (readings: readonly Reading[]) => void

  /** `deviceIds`: the devices table's text id → integer id, shared with the store and kept in step here. */
  constructor (private readonly db: SqliteDatabase, private readonly deviceIds: Map<string, number>) {
    this.insertDevice = db.prepare('INSERT INTO devices (device_id, site, device, source) VALUES (?, ?, ?, ?)')
    this.insertReading = this.readingStatement(1)
    this.fast = db.transaction((readings: readonly Reading[]) => this.writeFast(readings))
    this.slow = db.transaction((readings: readonly Reading[]) => this.writeSlow(readings))
  }

  /** Returns once the transaction committed; throws (having rolled back) when it could not. */
  write (readings: readonly Reading[]): void {
    const known = this.deviceIds.size
    try {
      this.fast(readings)
    } catch (error) {
      this.forgetDevicesAfter(known)
      if (!(error instanceof DuplicateInChunk)) throw error
      try {
        this.slow(readings)
      } catch (slowError) {
        this.forgetDevicesAfter(known)
        throw slowError
      }
    }
  }

  private writeFast (readings: readonly Reading[]): void {
    const values: unknown[] = []
    const ids: number[] = []
    for (const reading of readings) {
      const device = this.deviceIds.get(reading.deviceId) ?? this.addDevice(reading)
      ids.push(device)
      values.push(...readingValues(device, reading))
    }
    this.inChunks(values, READING_COLUMNS, (rows, chunk) => {
      if (this.readingStatement(rows).run(...chunk).changes !== rows) throw new DuplicateInChunk()
    })
    this.rollUp(readings, ids)
  }

  private writeSlow (readings: readonly Reading[]): void {
    const inserted: Reading[] = []
    const ids: number[] = []
    for (const reading of readings) {
      const device = this.deviceIds.get(reading.deviceId) ?? this.addDevice(reading)
      if (this.insertReading.run(...readingValues(device, reading)).changes === 0) continue
      inserted.push(reading)
      ids.push(device)
    }
    this.rollUp(inserted, ids)
  }

  /** Sums the inserted readings per device and bucket, then adds each sum to its stored rollup row. */
  private rollUp (readings: readonly Reading[], ids: readonly number[]): void {
    for (const [table, bucketMs] of [['rollup_1m', RESOLUTION_MS['1m']], ['rollup_1h', RESOLUTION_MS['1h']]] as const) {
      const tally = new BucketTally(bucketMs)
      readings.forEach((reading, i) => tally.add(ids[i], reading.time, reading.temperature, reading.setpoint))
      const values = [...tally.buckets()].flatMap(rollupValues)
      this.inChunks(values, ROLLUP_COLUMNS, (rows, chunk) => this.upsertStatement(table, rows).run(...chunk))
    }
  }

  private inChunks (values: unknown[], columns: number, run: (rows: number, chunk: unknown[]) => void): void {
    for (let start = 0; start < values.length; start += CHUNK * columns) {
      const chunk = values.slice(start, start + CHUNK * columns)
      run(chunk.length / columns, chunk)
    }
  }

  private readingStatement (rows: number): SqliteStatement<unknown[]> {
    return this.cached(`readings ${rows}`, () =>
      `INSERT INTO readings VALUES ${placeholders(rows, READING_COLUMNS)} ON CONFLICT (device, time) DO NOTHING`)
  }

  private upsertStatement (table: 'rollup_1m' | 'rollup_1h', rows: number): SqliteStatement<unknown[]> {
    return this.cached(`${table} ${rows}`, () => `INSERT INTO ${table} VALUES ${placeholders(rows, ROLLUP_COLUMNS)}
      ON CONFLICT (device, bucket) DO UPDATE SET
      minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum), sum = sum + excluded.sum,
      count = count + excluded.count, setpoint_sum = setpoint_sum + excluded.setpoint_sum,
      setpoint_count = setpoint_count + excluded.setpoint_count`)
  }

  private cached (key: string, sql: () => string): SqliteStatement<unknown[]> {
    let statement = this.statements.get(key)
    if (statement === undefined) this.statements.set(key, statement = this.db.prepare<unknown[]>(sql()))
    return statement
  }

  private addDevice (reading: Reading): number {
    const id = Number(this.insertDevice.run(reading.deviceId, reading.site, reading.device, reading.source).lastInsertRowid)
    this.deviceIds.set(reading.deviceId, id)
    return id
  }

  /** A rollback took the devices added since with it: forget their ids too (a Map iterates in insertion order). */
  private forgetDevicesAfter (known: number): void {
    if (this.deviceIds.size > known) [...this.deviceIds.keys()].slice(known).forEach((id) => this.deviceIds.delete(id))
  }
}

function readingValues (device: number, reading: Reading): unknown[] {
  const heating = reading.heating === undefined ? null : reading.heating ? 1 : 0
  return [device, reading.time, reading.temperature, reading.setpoint ?? null, heating, reading.humidity ?? null]
}

function rollupValues (b: BucketSums): unknown[] {
  return [b.device, b.bucket, b.min, b.max, b.sum, b.count, b.setpointSum, b.setpointCount]
}

function placeholders (rows: number, columns: number): string {
  const row = `(${Array(columns).fill('?').join(', ')})`
  return Array(rows).fill(row).join(', ')
}
