/** Median of the numbers given; null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/**
 * Median of per-round ratios a[i] / b[i], over the rounds where both were measured. Machines here
 * drift 25–45 % between rounds, so ratios are taken inside a round, where both brokers saw the same
 * machine, and only then summarised.
 */
export function medianRatio(a: readonly (number | null)[], b: readonly (number | null)[]): number | null {
  const ratios: number[] = []
  for (let round = 0; round < Math.min(a.length, b.length); round++) {
    const x = a[round]
    const y = b[round]
    if (x !== null && y !== null && y > 0) ratios.push(x / y)
  }
  return median(ratios)
}

/** The nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it; null for none. */
export function percentile(values: readonly number[], fraction: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]
}
