import type { Resolution } from './history-store.js'

/**
 * How many points each resolution would return over a query's range. `undefined` means the resolution does not
 * hold the whole range any more (retention dropped its start), so it cannot be chosen.
 */
export interface PointCounts {
  raw: number | undefined
  '1m': number | undefined
  '1h': number
}

/**
 * The finest resolution that holds the range with at most `maxPoints` points. Hourly when none does: hourly
 * rollups are kept forever, and the caller merges them down to `maxPoints` (see downsample.ts).
 */
export function pickResolution(counts: PointCounts, maxPoints: number): Resolution {
  for (const resolution of ['raw', '1m'] as const) {
    const count = counts[resolution]
    if (count !== undefined && count <= maxPoints) return resolution
  }
  return '1h'
}
