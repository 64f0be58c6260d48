import type { IPoint, ISingleHostConfig } from 'influx'
import type { Reading } from '../reading.js'
import { downsample } from './downsample.js'
import type { HistoryStore, Resolution, RetentionOptions, Series, SeriesPoint, SeriesQuery } from './history-store.js'
import { alignDown, DEFAULT_MAX_POINTS, DEFAULT_RETENTION, RESOLUTION_MS } from './history-store.js'
import { ensureInfluxLayout, LAYOUT, qualified } from './influx-layout.js'
import { InfluxQl, type QlSeries, qlName, qlString, qlTimeRange } from './influx-ql.js'
import { InfluxRollups } from './influx-rollups.js'
import { pickResolution } from './pick-resolution.js'
import { type RawRow, seriesCsv } from './series-csv.js'
import { storableReadings } from './storable-readings.js'

export interface InfluxHistoryOptions {
  /** host, port, protocol, username, password of the InfluxDB 1.x HTTP API. */
  connection: ISingleHostConfig
  database: string
  retention?: Partial<RetentionOptions>
  /** The clock that says which intervals are closed; Date.now unless a test needs another. */
  now?: () => number
}

/**
 * History in InfluxDB 1.x (layout in influx-layout.ts, rollups in influx-rollups.ts). A write resolves when
 * InfluxDB answered 204 (its WAL is fsynced by then) and the rollups it made stale are done again. A query
 * reads closed intervals from the rollups and the open one from raw readings, so it sees every write.
 */
export class InfluxHistoryStore implements HistoryStore {
  private readonly ql: InfluxQl
  private readonly rollups: InfluxRollups
  private readonly retention: RetentionOptions
  private readonly now: () => number
  /** Per resolution, the latest cutoff applyRetention used: data before it is gone. */
  private readonly cutoffs = new Map<Resolution, number>()

  private constructor(options: InfluxHistoryOptions) {
    this.ql = new InfluxQl(options.connection, options.database)
    this.rollups = new InfluxRollups(this.ql)
    this.retention = { ...DEFAULT_RETENTION, ...options.retention }
    this.now = options.now ?? Date.now
  }

  /** Connects, creates the database and retention policies when missing, and catches the rollups up. */
  static async open(options: InfluxHistoryOptions): Promise<InfluxHistoryStore> {
    const store = new InfluxHistoryStore(options)
    await ensureInfluxLayout(store.ql, store.retention)
    await store.rollups.open(store.now())
    return store
  }

  async write(batch: readonly Reading[]): Promise<void> {
    const readings = storableReadings(batch)
    if (readings.length === 0) return
    try {
      await this.ql.client.writePoints(readings.map(toPoint), { retentionPolicy: LAYOUT.raw.policy, precision: 'ms' })
    } catch (error) {
      // Points older than the raw policy are refused and the rest stored: those readings are past keeping,
      // and failing the batch would only make the device send them again.
      if (!String(error).includes('points beyond retention policy dropped')) throw error
    }
    await this.rollups.afterWrite(
      readings.map((reading) => reading.time),
      this.now()
    )
  }

  async query({ deviceId, from, to, resolution, maxPoints = DEFAULT_MAX_POINTS }: SeriesQuery): Promise<Series> {
    await this.rollups.catchUp(this.now())
    const chosen = resolution === 'auto' ? await this.pickFor(deviceId, from, to, maxPoints) : resolution
    const series: Series = { deviceId, resolution: chosen, bucketMs: RESOLUTION_MS[chosen], points: [] }
    if (to <= from) return series
    series.points = chosen === 'raw' ? await this.rawPoints(deviceId, from, to) : await this.rollupPoints(chosen, deviceId, from, to)
    return resolution === 'auto' && chosen === '1h' ? downsample(series, from, to, maxPoints) : series
  }

  exportCsv(deviceId: string, from: number, to: number, resolution: Resolution): AsyncIterable<string> {
    if (resolution === 'raw') {
      return seriesCsv(deviceId, from, resolution, async (cursor, limit): Promise<RawRow[]> => {
        const [[series]] = await this.ql.read(`SELECT "temperature", "setpoint", "heating", "humidity"
          FROM ${qualified(this.ql, 'raw')} WHERE ${this.device(deviceId)} AND ${qlTimeRange(cursor, to)} LIMIT ${limit}`)
        return (series?.values ?? []).map(toRawRow)
      })
    }
    return seriesCsv(deviceId, alignDown(from, RESOLUTION_MS[resolution]), resolution, async (cursor, limit) => {
      await this.rollups.catchUp(this.now())
      return await this.rollupPoints(resolution, deviceId, cursor, to, limit)
    })
  }

  /**
   * InfluxDB enforces each policy's duration itself (by whole shard groups, against its own clock). This
   * deletes up to the exact cutoff for `now` too, after rolling up what the raw cutoff is about to remove.
   */
  async applyRetention(now: number): Promise<void> {
    await this.rollups.catchUp(this.now())
    const cutoffs: Array<[Resolution, number]> = [
      ['raw', now - this.retention.retentionRaw],
      ['1m', now - this.retention.retention1m],
      ['1h', now - this.retention.retention1h]
    ]
    for (const [resolution, cutoff] of cutoffs) {
      if (!Number.isFinite(cutoff)) continue
      await this.ql.change(`DELETE FROM ${qlName(LAYOUT[resolution].measurement)} WHERE time < ${Math.trunc(cutoff)}ms`)
      this.cutoffs.set(resolution, Math.max(this.cutoffs.get(resolution) ?? -Infinity, cutoff))
    }
  }

  async close(): Promise<void> {
    await this.rollups.idle()
  }

  private device(deviceId: string): string {
    return `"device_id" = ${qlString(deviceId)}`
  }

  /**
   * Counts from the 1-minute rollups before the watermark (their count sum is the raw count, their rows the
   * 1-minute count) plus the raw readings after it, which the open minute and hour each turn into one point.
   */
  private async pickFor(deviceId: string, from: number, to: number, maxPoints: number): Promise<Resolution> {
    if (to <= from) return 'raw'
    const minutes = this.rollups.watermark('1m')
    const hours = this.rollups.watermark('1h')
    const [[rolled], [tail], [hourly]] = await this.ql.read(
      `SELECT count("count"), sum("count") FROM ${qualified(this.ql, '1m')}
        WHERE ${this.device(deviceId)} AND ${qlTimeRange(alignDown(from, RESOLUTION_MS['1m']), Math.min(to, minutes))}`,
      `SELECT count("temperature") FROM ${qualified(this.ql, 'raw')} WHERE ${this.device(deviceId)} AND ${qlTimeRange(Math.max(from, minutes), to)}`,
      `SELECT count("count") FROM ${qualified(this.ql, '1h')}
        WHERE ${this.device(deviceId)} AND ${qlTimeRange(alignDown(from, RESOLUTION_MS['1h']), Math.min(to, hours))}`
    )
    const [rolledMinutes, rolledReadings] = [numberAt(rolled, 1), numberAt(rolled, 2)]
    const tailReadings = numberAt(tail, 1)
    const openPoint = tailReadings > 0 ? 1 : 0
    const holds = (resolution: Resolution, duration: number): boolean =>
      from >= Math.max(this.now() - duration, this.cutoffs.get(resolution) ?? -Infinity)
    return pickResolution(
      {
        raw: holds('raw', this.retention.retentionRaw) ? rolledReadings + tailReadings : undefined,
        '1m': holds('1m', this.retention.retention1m) ? rolledMinutes + openPoint : undefined,
        '1h': numberAt(hourly, 1) + (to > hours ? openPoint : 0)
      },
      maxPoints
    )
  }

  private async rawPoints(deviceId: string, from: number, to: number): Promise<SeriesPoint[]> {
    const [[series]] = await this.ql.read(`SELECT "temperature", "setpoint" FROM ${qualified(this.ql, 'raw')}
      WHERE ${this.device(deviceId)} AND ${qlTimeRange(from, to)}`)
    return (series?.values ?? []).map(([time, temperature, setpoint]) =>
      withSetpoint(
        { time: time as number, min: temperature as number, mean: temperature as number, max: temperature as number, count: 1 },
        setpoint
      )
    )
  }

  /** Rolled-up buckets before the watermark, then the open bucket computed from raw readings. */
  private async rollupPoints(resolution: '1m' | '1h', deviceId: string, from: number, to: number, limit?: number): Promise<SeriesPoint[]> {
    const watermark = this.rollups.watermark(resolution)
    const start = alignDown(from, RESOLUTION_MS[resolution])
    // The end of the bucket that holds `to`: the open bucket is read whole, as a stored one is.
    const end = alignDown(to - 1, RESOLUTION_MS[resolution]) + RESOLUTION_MS[resolution]
    const statements = [
      `SELECT "min", "mean", "max", "count", "setpoint" FROM ${qualified(this.ql, resolution)}
      WHERE ${this.device(deviceId)} AND ${qlTimeRange(start, Math.min(to, watermark))}${limit === undefined ? '' : ` LIMIT ${limit}`}`
    ]
    if (to > watermark) {
      statements.push(`SELECT min("temperature"), mean("temperature"), max("temperature"), count("temperature"), mean("setpoint")
        FROM ${qualified(this.ql, 'raw')} WHERE ${this.device(deviceId)} AND ${qlTimeRange(Math.max(start, watermark), end)}
        GROUP BY time(${resolution}) fill(none)`)
    }
    const results = await this.ql.read(...statements)
    const points = results.flatMap(([series]) =>
      (series?.values ?? []).map(([time, min, mean, max, count, setpoint]) =>
        withSetpoint(
          { time: time as number, min: min as number, mean: mean as number, max: max as number, count: count as number },
          setpoint
        )
      )
    )
    return limit === undefined ? points : points.slice(0, limit)
  }
}

function toPoint(reading: Reading): IPoint {
  const fields: Record<string, number | boolean> = { temperature: reading.temperature }
  if (reading.setpoint !== undefined) fields.setpoint = reading.setpoint
  if (reading.heating !== undefined) fields.heating = reading.heating
  if (reading.humidity !== undefined) fields.humidity = reading.humidity
  return {
    measurement: LAYOUT.raw.measurement,
    tags: { site: reading.site, device: reading.device, source: reading.source, device_id: reading.deviceId },
    fields,
    timestamp: reading.time
  }
}

function toRawRow([time, temperature, setpoint, heating, humidity]: unknown[]): RawRow {
  const row: RawRow = { time: time as number, temperature: temperature as number }
  if (setpoint !== null) row.setpoint = setpoint as number
  if (heating !== null) row.heating = heating as boolean
  if (humidity !== null) row.humidity = humidity as number
  return row
}

function withSetpoint(point: SeriesPoint, setpoint: unknown): SeriesPoint {
  if (setpoint !== null && setpoint !== undefined) point.setpoint = setpoint as number
  return point
}

/** Column `index` of an aggregate's single row; 0 when there were no points (InfluxDB then sends no series). */
function numberAt(series: QlSeries | undefined, index: number): number {
  return (series?.values[0]?.[index] as number | undefined) ?? 0
}
