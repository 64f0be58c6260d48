import type { RetentionOptions } from './history-store.js'
import { type InfluxQl, qlName } from './influx-ql.js'

/**
 * Where each resolution lives in the database, laid out for Grafana as it is: raw readings in the default
 * retention policy, so `SELECT mean("temperature") FROM "temperature" WHERE "device_id" = '...' GROUP BY
 * time($__interval)` works without naming a policy; rollups in policies of their own with fields min, mean,
 * max, count and setpoint. Tags: site, device, source and device_id (`{site}/{device}`, the API's id).
 *
 * Each resolution has its own measurement name, not only its own policy, because InfluxQL's DELETE ignores
 * retention policies: `DELETE FROM "temperature" WHERE time < ...` for raw retention would otherwise take
 * the rollups with it.
 */
export const LAYOUT = {
  raw: { policy: 'thermopost_raw', measurement: 'temperature' },
  '1m': { policy: 'thermopost_1m', measurement: 'temperature_1m' },
  '1h': { policy: 'thermopost_1h', measurement: 'temperature_1h' }
} as const

export type LayoutResolution = keyof typeof LAYOUT

/** `"db"."policy"."measurement"`, the fully qualified name InfluxQL reads and writes. */
export function qualified(ql: InfluxQl, resolution: LayoutResolution): string {
  const { policy, measurement } = LAYOUT[resolution]
  return `${qlName(ql.database)}.${qlName(policy)}.${qlName(measurement)}`
}

/**
 * Creates the database when it is missing and each retention policy with the configured duration, or alters
 * it when the configuration changed. InfluxDB drops data older than a policy's duration by whole shard groups
 * on its own schedule, and refuses to store points already older than it.
 */
export async function ensureInfluxLayout(ql: InfluxQl, retention: RetentionOptions): Promise<void> {
  const database = qlName(ql.database)
  await ql.change(`CREATE DATABASE ${database}`)
  const [existing] = await ql.read(`SHOW RETENTION POLICIES ON ${database}`)
  const policies = new Set((existing[0]?.values ?? []).map((row) => row[0] as string))
  const durations: Array<[LayoutResolution, number]> = [
    ['raw', retention.retentionRaw],
    ['1m', retention.retention1m],
    ['1h', retention.retention1h]
  ]
  for (const [resolution, duration] of durations) {
    const policy = LAYOUT[resolution].policy
    const verb = policies.has(policy) ? 'ALTER' : 'CREATE'
    const isDefault = resolution === 'raw' ? ' DEFAULT' : ''
    await ql.change(
      `${verb} RETENTION POLICY ${qlName(policy)} ON ${database} DURATION ${influxDuration(duration)} REPLICATION 1${isDefault}`
    )
  }
}

/** Whole minutes, at least InfluxDB's minimum of an hour; INF for Infinity. */
function influxDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'INF'
  return `${Math.max(60, Math.ceil(ms / 60_000))}m`
}
