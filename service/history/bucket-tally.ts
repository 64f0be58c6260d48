/** One device's readings in one bucket of a batch: the row a rollup upsert adds to what is stored. */
export interface BucketSums {
  device: number
  bucket: number
  min: number
  max: number
  sum: number
  count: number
  setpointSum: number
  setpointCount: number
}

/**
 * A batch's readings summed per device and bucket before they reach SQLite, so a batch costs one upsert per
 * touched bucket rather than one per reading. The buckets need not be the newest: a late reading adds to
 * the bucket it belongs to like any other.
 */
export class BucketTally {
  private readonly byDevice = new Map<number, Map<number, BucketSums>>()

  constructor(private readonly bucketMs: number) {}

  add(device: number, time: number, temperature: number, setpoint: number | undefined): void {
    let buckets = this.byDevice.get(device)
    if (buckets === undefined) {
      buckets = new Map()
      this.byDevice.set(device, buckets)
    }
    const bucket = time - (time % this.bucketMs)
    const sums = buckets.get(bucket)
    if (sums === undefined) {
      buckets.set(bucket, {
        device,
        bucket,
        min: temperature,
        max: temperature,
        sum: temperature,
        count: 1,
        setpointSum: setpoint ?? 0,
        setpointCount: setpoint === undefined ? 0 : 1
      })
      return
    }
    if (temperature < sums.min) sums.min = temperature
    if (temperature > sums.max) sums.max = temperature
    sums.sum += temperature
    sums.count++
    if (setpoint !== undefined) {
      sums.setpointSum += setpoint
      sums.setpointCount++
    }
  }

  *buckets(): IterableIterator<BucketSums> {
    for (const buckets of this.byDevice.values()) yield* buckets.values()
  }
}
