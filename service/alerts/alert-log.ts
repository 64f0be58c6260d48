import type { AlertRecord } from '../api/api-types.js'
import type { SqliteDatabase, SqliteStatement } from '../history/sqlite-driver.js'

/**
 * Every alert in the state database (service/state/state-db.ts), written on each change: a restarted service
 * lists the alerts it raised before, and its open ones can still be acknowledged and cleared.
 */
export class AlertLog {
  private readonly upsert: SqliteStatement<[string, string, number, string, string]>

  constructor(private readonly db: SqliteDatabase) {
    this.upsert = db.prepare('INSERT OR REPLACE INTO alerts (id, device_id, raised_at, state, record) VALUES (?, ?, ?, ?, ?)')
  }

  save(alert: AlertRecord): void {
    this.upsert.run(alert.id, alert.deviceId, alert.raisedAt, alert.state, JSON.stringify(alert))
  }

  /** The open alerts and the newest `cleared` cleared ones, oldest first. */
  recent(cleared: number): AlertRecord[] {
    const rows = this.db
      .prepare<[number], [string]>(`
      SELECT record FROM (
        SELECT record, raised_at, rowid FROM alerts WHERE state != 'cleared'
        UNION ALL
        SELECT * FROM (SELECT record, raised_at, rowid FROM alerts WHERE state = 'cleared' ORDER BY raised_at DESC, rowid DESC LIMIT ?)
      ) ORDER BY raised_at, rowid`)
      .raw()
      .all(cleared)
    return rows.map(([record]) => JSON.parse(record) as AlertRecord)
  }

  /** Forgets cleared alerts raised before `before` (ms), so the table stays the size of what is listed. */
  forgetClearedBefore(before: number): void {
    this.db.prepare("DELETE FROM alerts WHERE state = 'cleared' AND raised_at < ?").run(before)
  }
}
