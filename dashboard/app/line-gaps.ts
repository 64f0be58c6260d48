/** A chart point as Chart.js takes it with `parsing: false`; `y: null` breaks the line (a gap in the data). */
export interface XY {
  x: number
  y: number | null
}

/** Readings further apart than this many typical spacings have a gap between them: an outage, not a slow reading. */
const GAP_SPACINGS = 3

/**
 * The spacing (ms) past which two consecutive times have a gap between them: three times their median spacing,
 * which is the device's interval however many readings went missing. Infinity with fewer than two times.
 */
export function gapAfterSpacing(times: readonly number[]): number {
  const spacings = times
    .slice(1)
    .map((time, index) => time - times[index])
    .sort((a, b) => a - b)
  if (spacings.length === 0) return Infinity
  return Math.max(1, spacings[Math.floor(spacings.length / 2)]) * GAP_SPACINGS
}

/** A gap for points `bucketMs` apart (rollups): three buckets. */
export function gapAfterBuckets(bucketMs: number): number {
  return bucketMs * GAP_SPACINGS
}

/**
 * One chart point per item, with a `null` point between two that are more than `gap` apart, so Chart.js
 * (`spanGaps: false`, its default) draws a break there instead of a straight line across the outage.
 */
export function withGaps<T>(items: readonly T[], gap: number, time: (item: T) => number, value: (item: T) => number | null): XY[] {
  const data: XY[] = []
  let previous: number | undefined
  for (const item of items) {
    const x = time(item)
    if (previous !== undefined && x - previous > gap) data.push({ x: previous + 1, y: null })
    data.push({ x, y: value(item) })
    previous = x
  }
  return data
}
