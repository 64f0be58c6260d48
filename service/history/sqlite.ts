import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Reading } from '../reading.js'
import { downsample } from './downsample.js'
import type { HistoryStore, Resolution, RetentionOptions, Series, SeriesPoint, SeriesQuery } from './history-store.js'
import { alignDown, DEFAULT_MAX_POINTS, DEFAULT_RETENTION, RESOLUTION_MS } from './history-store.js'
import { pickResolution } from './pick-resolution.js'
import { type RawRow, seriesCsv } from './series-csv.js'
import { SqliteBatchWriter } from './sqlite-batch-writer.js'
import { openSqlite, type SqliteDatabase } from './sqlite-driver.js'
import { type ReadingRow, SqliteReadings } from './sqlite-readings.js'
import { SqliteRollups } from './sqlite-rollups.js'
import { type HistorySynchronous, openHistorySchema } from './sqlite-schema.js'
import { storableReadings } from './storable-readings.js'

export interface SqliteHistoryOptions {
  /** The database file (its -wal and -shm beside it); its directory is created when missing. */
  path: string
  retention?: Partial<RetentionOptions>
  /** See openHistorySchema: 'full' (default) survives power loss, 'normal' only a process crash. */
  synchronous?: HistorySynchronous
}

/** Devices whose old rows one retention transaction deletes before yielding to the event loop. */
const RETENTION_CHUNK = 64

/**
 * The default history: one SQLite file (schema in sqlite-schema.ts). better-sqlite3 is synchronous, so each
 * call runs on the event loop: a batch write is one transaction (sqlite-batch-writer.ts, about 10 µs a reading),
 * a chart query an index range scan per table, and retention is cut into per-device chunks so no call holds
 * the loop for long.
 */
export class SqliteHistoryStore implements HistoryStore {
  private readonly db: SqliteDatabase
  private readonly retention: RetentionOptions
  private readonly deviceIds = new Map<string, number>()
  /** Per resolution, the time before which retention may have removed rows. */
  private readonly cutoffs = new Map<Resolution, number>()
  private readonly readings: SqliteReadings
  private readonly rollups: SqliteRollups
  private readonly writer: SqliteBatchWriter

  constructor(options: SqliteHistoryOptions) {
    mkdirSync(dirname(options.path), { recursive: true })
    this.retention = { ...DEFAULT_RETENTION, ...options.retention }
    this.db = openSqlite(options.path)
    openHistorySchema(this.db, options.synchronous ?? 'full')
    for (const [id, deviceId] of this.db.prepare<[], [number, string]>('SELECT id, device_id FROM devices').raw().all()) {
      this.deviceIds.set(deviceId, id)
    }
    for (const [resolution, cutoff] of this.db.prepare<[], [Resolution, number]>('SELECT resolution, cutoff FROM retention').raw().all()) {
      this.cutoffs.set(resolution, cutoff)
    }
    this.readings = new SqliteReadings(this.db)
    this.rollups = new SqliteRollups(this.db)
    this.writer = new SqliteBatchWriter(this.db, this.deviceIds, this.readings, this.rollups)
  }

  async write(readings: readonly Reading[]): Promise<void> {
    const storable = storableReadings(readings)
    if (storable.length > 0) this.writer.write(storable)
  }

  async query({ deviceId, from, to, resolution, maxPoints = DEFAULT_MAX_POINTS }: SeriesQuery): Promise<Series> {
    const device = this.deviceIds.get(deviceId)
    const chosen = resolution === 'auto' ? this.pickFor(device, from, to, maxPoints) : resolution
    const series: Series = { deviceId, resolution: chosen, bucketMs: RESOLUTION_MS[chosen], points: [] }
    if (device === undefined || to <= from) return series
    series.points = chosen === 'raw' ? this.rawPoints(device, from, to) : this.rollups.points(chosen, device, from, to)
    return resolution === 'auto' && chosen === '1h' ? downsample(series, from, to, maxPoints) : series
  }

  exportCsv(deviceId: string, from: number, to: number, resolution: Resolution): AsyncIterable<string> {
    const device = this.deviceIds.get(deviceId) ?? -1
    if (resolution === 'raw') {
      return seriesCsv(deviceId, from, resolution, async (cursor, limit) => this.readings.rows(device, cursor, to, limit).map(toRawRow))
    }
    return seriesCsv(deviceId, alignDown(from, RESOLUTION_MS[resolution]), resolution, async (cursor, limit) =>
      this.rollups.points(resolution, device, cursor, to, limit)
    )
  }

  async applyRetention(now: number): Promise<void> {
    const cutoffs: Array<[Resolution, string, string, number]> = [
      ['raw', 'readings', 'time', now - this.retention.retentionRaw],
      ['1m', 'rollup_1m', 'bucket', now - this.retention.retention1m],
      ['1h', 'rollup_1h', 'bucket', now - this.retention.retention1h]
    ]
    // Staged readings and buckets first join the big tables, which the per-device deletes below go through.
    this.db.transaction(() => {
      this.readings.moveAll()
      this.rollups.moveAll()
    })()
    const devices = [...this.deviceIds.values()]
    const saveCutoff = this.db.prepare<[Resolution, number]>(
      'INSERT INTO retention VALUES (?, ?) ON CONFLICT (resolution) DO UPDATE SET cutoff = max(cutoff, excluded.cutoff)'
    )
    for (const [resolution, table, column, cutoff] of cutoffs) {
      if (!Number.isFinite(cutoff)) continue
      const remove = this.db.prepare<[number, number]>(`DELETE FROM ${table} WHERE device = ? AND ${column} < ?`)
      const removeChunk = this.db.transaction((chunk: number[]) => {
        for (const device of chunk) remove.run(device, cutoff)
      })
      for (let i = 0; i < devices.length; i += RETENTION_CHUNK) {
        removeChunk(devices.slice(i, i + RETENTION_CHUNK))
        await new Promise((resolve) => setImmediate(resolve))
      }
      saveCutoff.run(resolution, cutoff)
      this.cutoffs.set(resolution, Math.max(this.cutoffs.get(resolution) ?? -Infinity, cutoff))
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }

  /**
   * Point counts come from the rollups, which count every stored reading: the 1-minute rows' count sum over the
   * range is the raw count (rounded out to whole minutes), their number the 1-minute count. Those are only read
   * when the hourly points fit; when they do not, nothing finer does.
   */
  private pickFor(device: number | undefined, from: number, to: number, maxPoints: number): Resolution {
    if (device === undefined || to <= from) return 'raw'
    const hours = this.rollups.counts('1h', device, from, to).buckets
    if (hours > maxPoints) return '1h'
    const minutes = this.rollups.counts('1m', device, from, to)
    const holds = (resolution: Resolution): boolean => from >= (this.cutoffs.get(resolution) ?? -Infinity)
    return pickResolution(
      {
        raw: holds('raw') ? minutes.readings : undefined,
        '1m': holds('1m') ? minutes.buckets : undefined,
        '1h': hours
      },
      maxPoints
    )
  }

  private rawPoints(device: number, from: number, to: number): SeriesPoint[] {
    const rows = this.readings.rows(device, from, to)
    return rows.map(([time, temperature, setpoint]) => {
      const point: SeriesPoint = { time, min: temperature, mean: temperature, max: temperature, count: 1 }
      if (setpoint !== null) point.setpoint = setpoint
      return point
    })
  }
}

function toRawRow([time, temperature, setpoint, heating, humidity]: ReadingRow): RawRow {
  const row: RawRow = { time, temperature }
  if (setpoint !== null) row.setpoint = setpoint
  if (heating !== null) row.heating = heating === 1
  if (humidity !== null) row.humidity = humidity
  return row
}
