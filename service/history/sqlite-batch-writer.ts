import type { Reading } from '../reading.js'
import { BucketTally } from './bucket-tally.js'
import { RESOLUTION_MS } from './history-store.js'
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'
import type { SqliteReadings } from './sqlite-readings.js'
import type { SqliteRollups } from './sqlite-rollups.js'

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
  private readonly fast: (readings: readonly Reading[]) => void
  private readonly slow: (readings: readonly Reading[]) => void

  /** `deviceIds`: the devices table's text id → integer id, shared with the store and kept in step here. */
  constructor(
    db: SqliteDatabase,
    private readonly deviceIds: Map<string, number>,
    private readonly readings: SqliteReadings,
    private readonly rollups: SqliteRollups
  ) {
    this.insertDevice = db.prepare('INSERT INTO devices (device_id, site, device, source) VALUES (?, ?, ?, ?)')
    this.fast = db.transaction((readings: readonly Reading[]) => this.writeFast(readings))
    this.slow = db.transaction((readings: readonly Reading[]) => this.writeSlow(readings))
  }

  /** Returns once the transaction committed; throws (having rolled back) when it could not. */
  write(readings: readonly Reading[]): void {
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

  private writeFast(readings: readonly Reading[]): void {
    const values: unknown[] = []
    const ids: number[] = []
    for (const reading of readings) {
      const device = this.deviceIds.get(reading.deviceId) ?? this.addDevice(reading)
      ids.push(device)
      values.push(...readingValues(device, reading))
    }
    if (this.readings.insert(values) !== readings.length) throw new DuplicateInChunk()
    this.rollUp(readings, ids)
  }

  private writeSlow(readings: readonly Reading[]): void {
    const inserted: Reading[] = []
    const ids: number[] = []
    for (const reading of readings) {
      const device = this.deviceIds.get(reading.deviceId) ?? this.addDevice(reading)
      if (!this.readings.insertRow(readingValues(device, reading))) continue
      inserted.push(reading)
      ids.push(device)
    }
    this.rollUp(inserted, ids)
  }

  /** Sums the inserted readings per device and bucket, then adds each sum to its rollup. */
  private rollUp(readings: readonly Reading[], ids: readonly number[]): void {
    if (readings.length === 0) return
    let [oldest, newest] = [Infinity, -Infinity]
    for (const { time } of readings) {
      if (time < oldest) oldest = time
      if (time > newest) newest = time
    }
    this.readings.written(oldest, newest)
    for (const resolution of ['1m', '1h'] as const) {
      const tally = new BucketTally(RESOLUTION_MS[resolution])
      for (let i = 0; i < readings.length; i++) tally.add(ids[i], readings[i].time, readings[i].temperature, readings[i].setpoint)
      this.rollups.add(resolution, tally)
    }
  }

  private addDevice(reading: Reading): number {
    const id = Number(this.insertDevice.run(reading.deviceId, reading.site, reading.device, reading.source).lastInsertRowid)
    this.deviceIds.set(reading.deviceId, id)
    return id
  }

  /** A rollback took the devices added since with it: forget their ids too (a Map iterates in insertion order). */
  private forgetDevicesAfter(known: number): void {
    if (this.deviceIds.size <= known) return
    for (const id of [...this.deviceIds.keys()].slice(known)) this.deviceIds.delete(id)
  }
}

function readingValues(device: number, reading: Reading): unknown[] {
  const heating = reading.heating === undefined ? null : reading.heating ? 1 : 0
  return [device, reading.time, reading.temperature, reading.setpoint ?? null, heating, reading.humidity ?? null]
}
