import type { CommandRecord } from '../api/api-types.js'
import type { SqliteDatabase, SqliteStatement } from '../history/sqlite-driver.js'

/**
 * Every command the service sent, in the state database (service/state/state-db.ts), written on each change
 * of state: the command history the API lists, the commands still waiting for an answer after a restart, and
 * each device's desired setpoint (its last acknowledged one).
 */
export class CommandLog {
  private readonly upsert: SqliteStatement<[string, string, number, string, string]>
  private readonly byId: SqliteStatement<[string], [string]>
  private readonly byDevice: SqliteStatement<[string, number], [string]>

  constructor(private readonly db: SqliteDatabase) {
    this.upsert = db.prepare('INSERT OR REPLACE INTO commands (id, device_id, created_at, state, record) VALUES (?, ?, ?, ?, ?)')
    this.byId = db.prepare<[string], [string]>('SELECT record FROM commands WHERE id = ?').raw()
    this.byDevice = db
      .prepare<[string, number], [string]>('SELECT record FROM commands WHERE device_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .raw()
  }

  save(record: CommandRecord): void {
    this.upsert.run(record.id, record.deviceId, record.createdAt, record.state, JSON.stringify(record))
  }

  get(id: string): CommandRecord | undefined {
    const row = this.byId.get(id)
    return row === undefined ? undefined : parse(row)
  }

  /** Newest first. */
  history(deviceId: string, limit: number): CommandRecord[] {
    return this.byDevice.all(deviceId, limit).map(parse)
  }

  /** Commands still queued or sent: the ones to go on tracking. */
  pending(): CommandRecord[] {
    return this.db
      .prepare<[], [string]>("SELECT record FROM commands WHERE state IN ('queued', 'sent') ORDER BY created_at")
      .raw()
      .all()
      .map(parse)
  }

  /** Per device, its newest acknowledged setpoint command. */
  lastAckedSetpoints(): CommandRecord[] {
    return this.db
      .prepare<[], [string]>(`
      SELECT record FROM commands AS c
      WHERE state = 'acked' AND json_extract(record, '$.name') = 'setpoint'
        AND created_at = (SELECT max(created_at) FROM commands WHERE device_id = c.device_id AND state = 'acked'
                          AND json_extract(record, '$.name') = 'setpoint')`)
      .raw()
      .all()
      .map(parse)
  }
}

function parse([record]: [string]): CommandRecord {
  return JSON.parse(record) as CommandRecord
}
