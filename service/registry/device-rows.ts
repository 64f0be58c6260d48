import type { MetaMessage } from '../../common/contract/meta.js'
import type { DeviceSummary } from '../api/api-types.js'
import type { SqliteDatabase, SqliteStatement } from '../history/sqlite-driver.js'
import type { Reading } from '../reading.js'
import { originOf } from '../sparkplug/sparkplug-ids.js'

type DeviceRow = [
  id: string,
  site: string,
  device: string,
  source: string,
  meta: string | null,
  lastReading: string | null,
  lastSeen: number | null
]

/**
 * The registry's devices in the state database (service/state/state-db.ts): what a restarted service lists
 * before the broker has told it anything. Only what outlives a connection is kept: meta, last reading, last
 * seen. Online/offline is not, since it is stale by definition after a restart; the retained status
 * messages that the subscriptions bring back decide it again.
 */
export class DeviceRows {
  private readonly upsert: SqliteStatement<DeviceRow>
  private readonly saveAll: (devices: readonly DeviceSummary[]) => void

  constructor(private readonly db: SqliteDatabase) {
    this.upsert = db.prepare<DeviceRow>(
      'INSERT OR REPLACE INTO devices (id, site, device, source, meta, last_reading, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)'
    )
    this.saveAll = db.transaction((devices: readonly DeviceSummary[]) => {
      for (const d of devices) {
        this.upsert.run(d.id, d.site, d.device, d.source, json(d.meta), json(d.lastReading), d.lastSeen ?? null)
      }
    })
  }

  /** Every stored device, its state `unknown` until the broker says more. */
  load(): DeviceSummary[] {
    const rows = this.db.prepare<[], DeviceRow>('SELECT id, site, device, source, meta, last_reading, last_seen FROM devices').raw().all()
    return rows.map(([id, site, device, source, meta, lastReading, lastSeen]) => {
      const summary: DeviceSummary = { id, site, device, source, ...originOf(site, source), state: 'unknown', openAlerts: 0 }
      if (meta !== null) summary.meta = JSON.parse(meta) as MetaMessage
      if (lastReading !== null) summary.lastReading = JSON.parse(lastReading) as Reading
      if (lastSeen !== null) summary.lastSeen = lastSeen
      return summary
    })
  }

  save(devices: readonly DeviceSummary[]): void {
    if (devices.length > 0) this.saveAll(devices)
  }

  delete(id: string): void {
    this.db.prepare<[string]>('DELETE FROM devices WHERE id = ?').run(id)
  }
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value)
}
