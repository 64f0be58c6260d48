import { RESOLUTION_MS, type Series, type SeriesPoint } from './history-store.js'

const HOUR = RESOLUTION_MS['1h']

/**
 * Hourly points merged into wider buckets (a whole number of hours, aligned on the hour that holds `from`) so
 * that [from, to) has at most `maxPoints` buckets. A merged point keeps the band: min of mins, max of maxes,
 * count-weighted means (the setpoint weighted by the counts of the points that had one).
 */
export function downsample(series: Series, from: number, to: number, maxPoints: number): Series {
  const start = Math.floor(from / HOUR) * HOUR
  const hours = Math.max(1, Math.ceil((to - start) / HOUR))
  const width = Math.ceil(hours / Math.max(1, maxPoints)) * HOUR
  if (width <= series.bucketMs || series.points.length <= maxPoints) return series
  const merged: SeriesPoint[] = []
  let bucket: MergedBucket | undefined
  for (const point of series.points) {
    const time = start + Math.floor((point.time - start) / width) * width
    if (bucket === undefined || bucket.time !== time) {
      if (bucket !== undefined) merged.push(finish(bucket))
      bucket = { time, min: Infinity, max: -Infinity, sum: 0, count: 0, setpointSum: 0, setpointWeight: 0 }
    }
    bucket.min = Math.min(bucket.min, point.min)
    bucket.max = Math.max(bucket.max, point.max)
    bucket.sum += point.mean * point.count
    bucket.count += point.count
    if (point.setpoint !== undefined) {
      bucket.setpointSum += point.setpoint * point.count
      bucket.setpointWeight += point.count
    }
  }
  if (bucket !== undefined) merged.push(finish(bucket))
  return { ...series, bucketMs: width, points: merged }
}

interface MergedBucket {
  time: number
  min: number
  max: number
  sum: number
  count: number
  setpointSum: number
  setpointWeight: number
}

function finish(bucket: MergedBucket): SeriesPoint {
  const point: SeriesPoint = { time: bucket.time, min: bucket.min, mean: bucket.sum / bucket.count, max: bucket.max, count: bucket.count }
  if (bucket.setpointWeight > 0) point.setpoint = bucket.setpointSum / bucket.setpointWeight
  return point
}
