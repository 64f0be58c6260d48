import type { BucketTally } from './bucket-tally.js'
import { alignDown, RESOLUTION_MS, type SeriesPoint } from './history-store.js'
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'
import { MERGE_ROLLUP, MultiRowStatements } from './sqlite-multi-row.js'

export type Rollup = '1m' | '1h'
type RollupRow = [bucket: number, min: number, max: number, sum: number, count: number, setpointSum: number, setpointCount: number]

interface Tables {
  add: MultiRowStatements
  move: SqliteStatement<[number]>
  clear: SqliteStatement<[number]>
  stored: SqliteStatement<[number, number, number, number], RollupRow>
  pending: SqliteStatement<[number, number, number], RollupRow>
  counts: Array<SqliteStatement<[number, number, number], [buckets: number, readings: number]>>
  /** The oldest bucket in the pending table, Infinity when empty. */
  oldestPending: number
  /** The newest bucket any batch touched. */
  newest: number
}

/**
 * The rollup tables, kept the cheap way for writes. The big tables (rollup_1m, rollup_1h) are ordered by device,
 * so a batch holding one reading from each of 1000 devices would dirty a page per device in each. Instead a
 * batch adds its sums to the small pending_1m / pending_1h tables, whose rows are only the buckets still being
 * filled (a page holds hundreds of devices' current minute), and pending buckets move to the big tables once a
 * newer bucket has begun: a page per device per minute (or hour) rather than per batch. Both tables are written
 * in the batch's transaction, so nothing needs rebuilding after a crash; reads add the two together.
 * Invariant: a bucket's sums are its stored row plus its pending row (either may be missing).
 */
export class SqliteRollups {
  private readonly tables: Record<Rollup, Tables>

  constructor (private readonly db: SqliteDatabase) {
    this.tables = { '1m': this.prepare('1m'), '1h': this.prepare('1h') }
  }

  /** Inside the batch's transaction, with the sums of the readings it inserted. */
  add (resolution: Rollup, tally: BucketTally): void {
    const tables = this.tables[resolution]
    const values: unknown[] = []
    for (const b of tally.buckets()) {
      values.push(b.device, b.bucket, b.min, b.max, b.sum, b.count, b.setpointSum, b.setpointCount)
      if (b.bucket < tables.oldestPending) tables.oldestPending = b.bucket
      if (b.bucket > tables.newest) tables.newest = b.bucket
    }
    tables.add.run(values)
    // A rolled-back batch may leave these two off: then a move comes early or moves nothing, never loses sums.
    if (tables.oldestPending < tables.newest) this.move(resolution, tables.newest)
  }

  /** Moves every pending bucket before `before` to the big table. */
  move (resolution: Rollup, before: number): void {
    const tables = this.tables[resolution]
    tables.move.run(before)
    tables.clear.run(before)
    tables.oldestPending = Number.isFinite(before) ? Math.max(tables.oldestPending, before) : Infinity
  }

  /** A device's buckets that overlap [from, to), ascending, at most `limit`. */
  points (resolution: Rollup, device: number, from: number, to: number, limit = Number.MAX_SAFE_INTEGER): SeriesPoint[] {
    const tables = this.tables[resolution]
    const start = alignDown(from, RESOLUTION_MS[resolution])
    const rows = tables.stored.all(device, start, to, limit)
    const pending = tables.pending.all(device, start, to)
    return (pending.length === 0 ? rows : mergeRows(rows, pending)).slice(0, limit).map(toPoint)
  }

  /** How many buckets of the device overlap [from, to), and how many readings they hold (a bucket pending and stored counts twice). */
  counts (resolution: Rollup, device: number, from: number, to: number): { buckets: number, readings: number } {
    const start = alignDown(from, RESOLUTION_MS[resolution])
    let [buckets, readings] = [0, 0]
    for (const statement of this.tables[resolution].counts) {
      const [b, r] = statement.get(device, start, to)!
      buckets += b
      readings += r
    }
    return { buckets, readings }
  }

  private prepare (resolution: Rollup): Tables {
    const [big, pending] = [`rollup_${resolution}`, `pending_${resolution}`]
    const columns = 'bucket, minimum, maximum, sum, count, setpoint_sum, setpoint_count'
    const range = 'WHERE device = ? AND bucket >= ? AND bucket < ? ORDER BY bucket'
    const [oldest, newest] = this.db.prepare<[], [number | null, number | null]>(`SELECT min(bucket), max(bucket) FROM ${pending}`).raw().get()!
    return {
      add: new MultiRowStatements(this.db, 8, (values) => `INSERT INTO ${pending} VALUES ${values} ${MERGE_ROLLUP}`),
      // ORDER BY: the big table is written in its own key order, a page at a time.
      move: this.db.prepare(`INSERT INTO ${big} SELECT * FROM ${pending} WHERE bucket < ? ORDER BY device, bucket ${MERGE_ROLLUP}`),
      clear: this.db.prepare(`DELETE FROM ${pending} WHERE bucket < ?`),
      stored: this.db.prepare<[number, number, number, number], RollupRow>(`SELECT ${columns} FROM ${big} ${range} LIMIT ?`).raw(),
      pending: this.db.prepare<[number, number, number], RollupRow>(`SELECT ${columns} FROM ${pending} ${range}`).raw(),
      counts: [big, pending].map((table) => this.db.prepare<[number, number, number], [number, number]>(
        `SELECT count(*), total(count) FROM ${table} WHERE device = ? AND bucket >= ? AND bucket < ?`).raw()),
      oldestPending: oldest ?? Infinity,
      newest: newest ?? -Infinity
    }
  }
}

/** Two ascending row lists as one: a bucket in both becomes one row with the sums of both. */
function mergeRows (stored: RollupRow[], pending: RollupRow[]): RollupRow[] {
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

function toPoint ([time, min, max, sum, count, setpointSum, setpointCount]: RollupRow): SeriesPoint {
  const point: SeriesPoint = { time, min, mean: sum / count, max, count }
  if (setpointCount > 0) point.setpoint = setpointSum / setpointCount
  return point
}
