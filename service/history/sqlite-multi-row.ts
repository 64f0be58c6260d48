import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'

/** Rows per statement: one statement call per this many rows instead of one per row. */
const CHUNK = 128

/**
 * Runs one INSERT over many rows a chunk at a time: calling into SQLite costs more per call than per row, so
 * a batch's rows go `CHUNK` to a statement. A statement is prepared once per row count and kept.
 */
export class MultiRowStatements {
  private readonly statements = new Map<number, SqliteStatement<unknown[]>>()

  /** `sql(values)` is the statement with `values` (a VALUES list of that many rows) in place. */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly columns: number,
    private readonly sql: (values: string) => string
  ) {}

  /** `values`: the rows' columns one after another. Returns each chunk's change count, in order. */
  run(values: readonly unknown[]): number[] {
    const changes: number[] = []
    for (let start = 0; start < values.length; start += CHUNK * this.columns) {
      const chunk = values.slice(start, start + CHUNK * this.columns)
      changes.push(this.statement(chunk.length / this.columns).run(...chunk).changes)
    }
    return changes
  }

  private statement(rows: number): SqliteStatement<unknown[]> {
    let statement = this.statements.get(rows)
    if (statement === undefined) {
      const row = `(${Array(this.columns).fill('?').join(', ')})`
      statement = this.db.prepare<unknown[]>(this.sql(Array(rows).fill(row).join(', ')))
      this.statements.set(rows, statement)
    }
    return statement
  }
}

/** The ON CONFLICT clause that adds a bucket's sums to the stored row of the same device and bucket. */
export const MERGE_ROLLUP = `ON CONFLICT (device, bucket) DO UPDATE SET
  minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum), sum = sum + excluded.sum,
  count = count + excluded.count, setpoint_sum = setpoint_sum + excluded.setpoint_sum,
  setpoint_count = setpoint_count + excluded.setpoint_count`
