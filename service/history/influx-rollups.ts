import { alignDown, RESOLUTION_MS } from './history-store.js'
import { qualified } from './influx-layout.js'
import { type InfluxQl, qlTimeRange } from './influx-ql.js'

type Rollup = '1m' | '1h'

/** The most of the raw time line one SELECT ... INTO covers, so a long catch-up is many modest queries. */
const SPAN: Readonly<Record<Rollup, number>> = { '1m': 6 * 3_600_000, '1h': 7 * 86_400_000 }

/**
 * The service's own continuous queries. InfluxDB's continuous queries never backfill, and store-and-forward
 * delivers readings late, so the service rolls up itself with SELECT ... INTO over closed intervals:
 *
 * - `rolledUpTo[r]` (the watermark) is where the closed intervals already rolled up end, aligned to r. Every
 *   interval before it has its rollup point; the open interval at and after it is read from raw (see influx.ts).
 * - `catchUp(now)` rolls up the intervals that closed since, [watermark, floor(now)).
 * - `afterWrite(times)` rolls up again the intervals before the watermark that a batch's late readings fell into:
 *   from the oldest one's interval to the newest late one's. A rollup point is a pure function of the raw
 *   readings in its interval (the same tags and time overwrite it), so doing an interval again is always safe.
 *
 * All of it runs one operation at a time, in call order. The store's write() resolves only after afterWrite():
 * a crash in between leaves the batch unacknowledged, so the device sends it again and that redoes the rollups.
 */
export class InfluxRollups {
  private readonly rolledUpTo: Record<Rollup, number> = { '1m': 0, '1h': 0 }
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly ql: InfluxQl) {}

  /**
   * Finds the watermarks again after a start: just after the newest rollup point, or where the raw readings
   * begin, or now when there are none; then catches up.
   */
  async open(now: number): Promise<void> {
    for (const resolution of ['1m', '1h'] as const) {
      const [[lastRollup], [firstRaw]] = await this.ql.read(
        `SELECT last("count") FROM ${qualified(this.ql, resolution)}`,
        `SELECT first("temperature") FROM ${qualified(this.ql, 'raw')}`
      )
      const bucket = RESOLUTION_MS[resolution]
      const start =
        lastRollup !== undefined
          ? (lastRollup.values[0][0] as number) + bucket
          : firstRaw !== undefined
            ? (firstRaw.values[0][0] as number)
            : now
      this.rolledUpTo[resolution] = alignDown(start, bucket)
    }
    await this.catchUp(now)
  }

  /** Where the rolled-up intervals of `resolution` end: data from here on is read from raw. */
  watermark(resolution: Rollup): number {
    return this.rolledUpTo[resolution]
  }

  async catchUp(now: number): Promise<void> {
    await this.serially(async () => {
      for (const resolution of ['1m', '1h'] as const) {
        const closed = alignDown(now, RESOLUTION_MS[resolution])
        if (closed <= this.rolledUpTo[resolution]) continue
        await this.rollUp(resolution, this.rolledUpTo[resolution], closed)
        this.rolledUpTo[resolution] = closed
      }
    })
  }

  /** Call once the batch's raw readings are stored, with their times. */
  async afterWrite(times: readonly number[], now: number): Promise<void> {
    await this.serially(async () => {
      for (const resolution of ['1m', '1h'] as const) {
        const watermark = this.rolledUpTo[resolution]
        let oldest = Infinity
        let newestLate = -Infinity
        for (const time of times) {
          if (time >= watermark) continue
          if (time < oldest) oldest = time
          if (time > newestLate) newestLate = time
        }
        if (oldest === Infinity) continue
        const bucket = RESOLUTION_MS[resolution]
        await this.rollUp(resolution, alignDown(oldest, bucket), alignDown(newestLate, bucket) + bucket)
      }
    })
    await this.catchUp(now)
  }

  /** Waits for every operation queued so far. */
  async idle(): Promise<void> {
    await this.serially(async () => {})
  }

  private async rollUp(resolution: Rollup, from: number, to: number): Promise<void> {
    for (let start = from; start < to; start += SPAN[resolution]) {
      const end = Math.min(to, start + SPAN[resolution])
      await this.ql.change(`SELECT min("temperature") AS "min", mean("temperature") AS "mean", max("temperature") AS "max",
        count("temperature") AS "count", mean("setpoint") AS "setpoint"
        INTO ${qualified(this.ql, resolution)} FROM ${qualified(this.ql, 'raw')}
        WHERE ${qlTimeRange(start, end)} GROUP BY time(${resolution}), * fill(none)`)
    }
  }

  private async serially(operation: () => Promise<void>): Promise<void> {
    const result = this.queue.then(operation)
    this.queue = result.catch(() => {}) // one failed operation does not stop the ones after it
    await result
  }
}
