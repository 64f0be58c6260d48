import { alignDown } from './history-store.js'
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'

export interface StagingTables {
  /** The small table rows are written to first; the same columns as `big`, the same (device, `column`) key. */
  staging: string
  big: string
  /** The time column of the key: 'time' for readings, 'bucket' for rollups. */
  column: string
  /** Rows move once a newer bucket of this width has begun. */
  bucketMs: number
  /** How a moved row meets a row of the big table with the same key. */
  onConflict: string
}

/**
 * A big table ordered by device (so one device's range is one index scan) written through a small staging table.
 * A batch holding one row from each of many devices would dirty one page per device in the big table; in the
 * staging table, which only holds the bucket still being filled, hundreds of devices share a page. Rows move to
 * the big table in its key order once a newer bucket has begun: a page per device per bucket rather than per
 * batch. Writes and moves happen inside the caller's transaction, so nothing is rebuilt after a crash; readers
 * look at both tables. "Newer" is by the rows' own times: a device whose clock runs ahead makes every other row
 * late, so rows then move in every batch, which is as slow as writing the big table directly, and as correct.
 */
export class Staging {
  private readonly move: SqliteStatement<[number]>
  private readonly clear: SqliteStatement<[number]>
  /** The oldest key time in the staging table, Infinity when empty. */
  private oldestStaged: number
  /** The newest key time any batch wrote. */
  private newest: number

  constructor(
    db: SqliteDatabase,
    private readonly tables: StagingTables
  ) {
    const { staging, big, column, onConflict } = tables
    this.move = db.prepare(`INSERT INTO ${big} SELECT * FROM ${staging} WHERE ${column} < ? ORDER BY device, ${column} ${onConflict}`)
    this.clear = db.prepare(`DELETE FROM ${staging} WHERE ${column} < ?`)
    const [oldest, newest] = db
      .prepare<[], [number | null, number | null]>(`SELECT min(${column}), max(${column}) FROM ${staging}`)
      .raw()
      .get()!
    this.oldestStaged = oldest ?? Infinity
    this.newest = newest ?? -Infinity
  }

  /**
   * Inside the transaction that wrote rows with key times from `oldest` to `newest` to the staging table: moves
   * what a newer bucket has closed, late rows included. A rolled-back batch may leave the two marks off; then a
   * move comes early or moves nothing, and no row is lost.
   */
  written(oldest: number, newest: number): void {
    if (oldest < this.oldestStaged) this.oldestStaged = oldest
    if (newest > this.newest) this.newest = newest
    const closed = alignDown(this.newest, this.tables.bucketMs)
    if (this.oldestStaged < closed) this.moveBefore(closed)
  }

  /** Inside a transaction: moves every staged row (before retention works on the big table). */
  moveAll(): void {
    this.moveBefore(Infinity)
  }

  private moveBefore(time: number): void {
    this.move.run(time)
    this.clear.run(time)
    this.oldestStaged = Number.isFinite(time) ? Math.max(this.oldestStaged, time) : Infinity
  }
}
