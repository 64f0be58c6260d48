import type { HistoryStore, Resolution, Series, SeriesQuery } from '../../service/history/history-store.js'
import type { Reading } from '../../service/reading.js'

/** Told once per write that resolved: how many readings it held and how long ago each was measured, ms. */
export type StoredListener = (count: number, agesMs: Float64Array) => void

/**
 * A history store that reports each resolved write: the moment the service's ingest may acknowledge a
 * reading is the moment it counts as stored. A reading's age is wall-clock now minus its `time`, which the
 * bench's publishers set to the moment they sent it: the end-to-end latency, publish → stored.
 */
export class TimedHistoryStore implements HistoryStore {
  constructor(
    private readonly inner: HistoryStore,
    private readonly onStored: StoredListener
  ) {}

  async write(readings: readonly Reading[]): Promise<void> {
    await this.inner.write(readings)
    // Fractional ms: the publish time is whole ms, so ages read up to 1 ms high, never low.
    const now = performance.timeOrigin + performance.now()
    const ages = new Float64Array(readings.length)
    for (let index = 0; index < readings.length; index++) ages[index] = now - readings[index].time
    this.onStored(readings.length, ages)
  }

  query(query: SeriesQuery): Promise<Series> {
    return this.inner.query(query)
  }

  exportCsv(deviceId: string, from: number, to: number, resolution: Resolution): AsyncIterable<string> {
    return this.inner.exportCsv(deviceId, from, to, resolution)
  }

  applyRetention(now: number): Promise<void> {
    return this.inner.applyRetention(now)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
