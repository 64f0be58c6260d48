import type { BatchValue } from './sqlite-batch-codec.js'
import type { Database, Statement } from './sqlite-schema.js'

/**
 * Rows per statement: one INSERT of many rows costs SQLite one parse-free step and the driver one call, where a
 * row per statement cost both per row. 64 rows of the widest insert (16 columns) stay far below SQLite's limit
 * of 32 766 bound values.
 */
const MAX_ROWS = 64

/**
 * `INSERT ... VALUES (...), (...), ...` of a batch's rows: one statement per MAX_ROWS rows, each row
 * the values of an operation from `firstValue` on (its Op and anything before it left out). Statements
 * are prepared on first use, one per row count.
 */
export class MultiRowInsert {
  private readonly statements = new Map<number, Statement>()
  private readonly rowSql: string

  /** `head`: `INSERT ... (columns) VALUES`; `tail`: what follows the rows (ON CONFLICT ...), if anything. */
  constructor(
    private readonly db: Database,
    private readonly head: string,
    private readonly columns: number,
    private readonly tail = ''
  ) {
    this.rowSql = `(${new Array(columns).fill('?').join(', ')})`
  }

  run(rows: readonly BatchValue[][], firstValue = 0): void {
    for (let start = 0; start < rows.length; start += MAX_ROWS) {
      const count = Math.min(MAX_ROWS, rows.length - start)
      const values: BatchValue[] = new Array(count * this.columns)
      let at = 0
      for (let r = start; r < start + count; r++) {
        const row = rows[r]
        for (let c = 0; c < this.columns; c++) values[at++] = row[firstValue + c]
      }
      // As arguments, not one array: better-sqlite3 reads an array parameter element by element through V8's object
      // API, which cost the worker about as much as SQLite's own work on the rows.
      this.statement(count).run(...values)
    }
  }

  private statement(rows: number): Statement {
    let statement = this.statements.get(rows)
    if (statement === undefined) {
      statement = this.db.prepare(`${this.head} ${new Array(rows).fill(this.rowSql).join(', ')} ${this.tail}`)
      this.statements.set(rows, statement)
    }
    return statement
  }
}
