import type { Reading } from '../reading.js'

/** Where a series' points come from: the readings themselves, or the 1-minute or 1-hour rollups. */
export type Resolution = 'raw' | '1m' | '1h'

/** Bucket width of each stored resolution, in ms; raw readings have no bucket. */
export const RESOLUTION_MS: Readonly<Record<Resolution, number>> = { raw: 0, '1m': 60_000, '1h': 3_600_000 }

/** The start of the bucket of width `bucketMs` (aligned to the epoch) that holds `time`. */
export function alignDown(time: number, bucketMs: number): number {
  return Math.floor(time / bucketMs) * bucketMs
}

/** A series has at most this many points unless the query says otherwise: about one per pixel of a wide chart. */
export const DEFAULT_MAX_POINTS = 2000

export interface SeriesQuery {
  deviceId: string
  /** Inclusive, ms since the epoch. */
  from: number
  /** Exclusive, ms since the epoch. */
  to: number
  /** 'auto' picks the finest resolution that has the range and at most `maxPoints` points over it. */
  resolution: Resolution | 'auto'
  /** Only for 'auto'; DEFAULT_MAX_POINTS when absent. */
  maxPoints?: number
}

/**
 * One point of a chart: a min–max band, the mean line and the setpoint line. A raw reading is a point with
 * min = mean = max = its temperature and count 1; a rollup covers the bucket [time, time + bucketMs).
 */
export interface SeriesPoint {
  /** The reading's time, or its bucket's start. */
  time: number
  min: number
  mean: number
  max: number
  /** How many readings the point stands for. */
  count: number
  /** The mean setpoint of the readings in the bucket that had one; absent when none had. */
  setpoint?: number
}

export interface Series {
  deviceId: string
  /** The resolution the points were read from. */
  resolution: Resolution
  /**
   * Width of each point's bucket in ms: 0 for raw, 60 000 or 3 600 000 for rollups, a multiple of an hour when
   * hourly points were merged to stay within `maxPoints`.
   */
  bucketMs: number
  /** Ascending by time, only buckets that hold readings. */
  points: SeriesPoint[]
}

/** How long each resolution is kept, in ms; Infinity keeps it forever. */
export interface RetentionOptions {
  retentionRaw: number
  retention1m: number
  retention1h: number
}

const DAY = 86_400_000

export const DEFAULT_RETENTION: Readonly<RetentionOptions> = { retentionRaw: 30 * DAY, retention1m: 366 * DAY, retention1h: Infinity }

/**
 * The service's temperature history. Both backends (SQLite, InfluxDB 1.x) pass service/history/conformance.ts.
 * Rollups follow the readings: a late reading (store-and-forward) or a duplicate one (a re-sent QoS 1 message)
 * leaves them as if every reading had arrived once and on time.
 */
export interface HistoryStore {
  /**
   * Resolves once the readings are durable: the service acknowledges their MQTT messages only then. A reading
   * with the same device and time as a stored one is a duplicate and is ignored (SQLite) or replaces it (InfluxDB).
   * Rejects only when the store failed, never because of a reading: one without a finite time or temperature is
   * left out (see storable-readings.ts), since the ingest retries a failed batch until it is stored.
   */
  write(readings: readonly Reading[]): Promise<void>
  query(query: SeriesQuery): Promise<Series>
  /**
   * The range as CSV, a header line first, each chunk one line ending in '\n', read page by page so a range of
   * any size streams without being held in memory (`Readable.from(...)`). Columns: raw
   * `time,device_id,temperature,setpoint,heating,humidity`; rollups `time,device_id,min,mean,max,count,setpoint`;
   * time in ISO 8601 UTC, absent values empty.
   */
  exportCsv(deviceId: string, from: number, to: number, resolution: Resolution): AsyncIterable<string>
  /** Drops what each resolution no longer keeps as of `now` (ms since the epoch): raw first, rollups later. */
  applyRetention(now: number): Promise<void>
  close(): Promise<void>
}
