import type { BucketTally } from './bucket-tally.js'
import { alignDown, RESOLUTION_MS, type SeriesPoint } from './history-store.js'
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'
import { MERGE_ROLLUP, MultiRowStatements } from './sqlite-multi-row.js'
import { Staging } from './sqlite-staging.js'

export type Rollup = '1m' | '1h'
type RollupRow = [bucket: number, min: number, max: number, sum: number, count: number, setpointSum: number, setpointCount: number]

interface Tables {
  add: MultiRowStatements
  staging: Staging
  stored: SqliteStatement<[number, number, number, number], RollupRow>
  pending: SqliteStatement<[number, number, number], RollupRow>
  counts: Array<SqliteStatement<[number, number, number], [buckets: number, readings: number]>>
}

/**
 * The rollup tables, written through staging tables (see sqlite-staging.ts): a batch adds its sums to
 * pending_1m / pending_1h, whose rows are the buckets still being filled, and they move to rollup_1m / rollup_1h
 * once a newer bucket has begun. Invariant: a bucket's sums are its rollup_* row plus its pending_* row (either
 * may be missing; both exist after retention's move took a bucket still being filled), so reads add the two
 * together.
 */
export class SqliteRollups {
  private readonly tables: Record<Rollup, Tables>

  constructor(private readonly db: SqliteDatabase) {
    this.tables = { '1m': this.prepare('1m'), '1h': this.prepare('1h') }
  }

  /** Inside the batch's transaction, with the sums of the readings it inserted. */
  add(resolution: Rollup, tally: BucketTally): void {
    const values: unknown[] = []
    let [oldest, newest] = [Infinity, -Infinity]
    for (const b of tally.buckets()) {
      values.push(b.device, b.bucket, b.min, b.max, b.sum, b.count, b.setpointSum, b.setpointCount)
      if (b.bucket < oldest) oldest = b.bucket
      if (b.bucket > newest) newest = b.bucket
    }
    if (values.length === 0) return
    this.tables[resolution].add.run(values)
    this.tables[resolution].staging.written(oldest, newest)
  }

  /** Inside a transaction: moves every pending bucket to the big tables. */
  moveAll(): void {
    for (const resolution of ['1m', '1h'] as const) this.tables[resolution].staging.moveAll()
  }

  /** A device's buckets that overlap [from, to), ascending, at most `limit`. */
  points(resolution: Rollup, device: number, from: number, to: number, limit = Number.MAX_SAFE_INTEGER): SeriesPoint[] {
    const tables = this.tables[resolution]
    const start = alignDown(from, RESOLUTION_MS[resolution])
    const rows = tables.stored.all(device, start, to, limit)
    const pending = tables.pending.all(device, start, to)
    return (pending.length === 0 ? rows : mergeRows(rows, pending)).slice(0, limit).map(toPoint)
  }

  /** How many buckets of the device overlap [from, to), and how many readings they hold (a bucket pending and stored counts twice). */
  counts(resolution: Rollup, device: number, from: number, to: number): { buckets: number; readings: number } {
    const start = alignDown(from, RESOLUTION_MS[resolution])
    let [buckets, readings] = [0, 0]
    for (const statement of this.tables[resolution].counts) {
      const [b, r] = statement.get(device, start, to)!
      buckets += b
      readings += r
    }
    return { buckets, readings }
  }

  private prepare(resolution: Rollup): Tables {
    const [big, pending] = [`rollup_${resolution}`, `pending_${resolution}`]
    const columns = 'bucket, minimum, maximum, sum, count, setpoint_sum, setpoint_count'
    const range = 'WHERE device = ? AND bucket >= ? AND bucket < ? ORDER BY bucket'
    return {
      add: new MultiRowStatements(this.db, 8, (values) => `INSERT INTO ${pending} VALUES ${values} ${MERGE_ROLLUP}`),
      staging: new Staging(this.db, {
        staging: pending,
        big,
        column: 'bucket',
        bucketMs: RESOLUTION_MS[resolution],
        onConflict: MERGE_ROLLUP
      }),
      stored: this.db.prepare<[number, number, number, number], RollupRow>(`SELECT ${columns} FROM ${big} ${range} LIMIT ?`).raw(),
      pending: this.db.prepare<[number, number, number], RollupRow>(`SELECT ${columns} FROM ${pending} ${range}`).raw(),
      counts: [big, pending].map((table) =>
        this.db
          .prepare<[number, number, number], [number, number]>(
            `SELECT count(*), total(count) FROM ${table} WHERE device = ? AND bucket >= ? AND bucket < ?`
          )
          .raw()
      )
    }
  }
}

/** Two ascending row lists as one: a bucket in both becomes one row with the sums of both. */
function mergeRows(stored: RollupRow[], pending: RollupRow[]): RollupRow[] {
  const merged: RollupRow[] = []
  let [i, j] = [0, 0]
  while (i < stored.length || j < pending.length) {
    const a = stored[i]
    const b = pending[j]
    if (b === undefined || (a !== undefined && a[0] < b[0])) {
      merged.push(a)
      i++
    } else if (a === undefined || b[0] < a[0]) {
      merged.push(b)
      j++
    } else {
      merged.push([a[0], Math.min(a[1], b[1]), Math.max(a[2], b[2]), a[3] + b[3], a[4] + b[4], a[5] + b[5], a[6] + b[6]])
      i++
      j++
    }
  }
  return merged
}

function toPoint([time, min, max, sum, count, setpointSum, setpointCount]: RollupRow): SeriesPoint {
  const point: SeriesPoint = { time, min, mean: sum / count, max, count }
  if (setpointCount > 0) point.setpoint = setpointSum / setpointCount
  return point
}
