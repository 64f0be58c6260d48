import type { Series } from '../../service/api/api-types.js'
import { formatBucket, formatCount } from './display-format.js'

const SOURCE_NAMES = { raw: 'raw readings', '1m': '1-minute rollups', '1h': 'hourly rollups' } as const

/**
 * What the history chart is drawn from, for the line under it: `1-minute rollups · 1,440 points`, or, when the
 * server merged hourly rollups to stay under its point budget, `hourly rollups merged into 6 h buckets · 120 points`.
 */
export function seriesCaption(series: Series): string {
  const merged = series.resolution === '1h' && series.bucketMs > 3_600_000
  const source = merged ? `${SOURCE_NAMES['1h']} merged into ${formatBucket(series.bucketMs)} buckets` : SOURCE_NAMES[series.resolution]
  const count = series.points.length
  return `${source} · ${formatCount(count)} ${count === 1 ? 'point' : 'points'}`
}
