import { performance } from 'node:perf_hooks'

/**
 * `performance.now()` counts from this process's time origin; adding this offset turns it into
 * CLOCK_MONOTONIC in milliseconds, the clock the native fan-out receiver reads. Both come from
 * libuv's uv_hrtime (CLOCK_MONOTONIC on Linux), so the offset is fixed; it is taken once, between
 * two readings of `performance.now()`, so its error is a microsecond or two.
 */
const OFFSET_MS = ((): number => {
  const before = performance.now()
  const monotonicMs = Number(process.hrtime.bigint()) / 1e6
  const after = performance.now()
  return monotonicMs - (before + after) / 2
})()

/**
 * Milliseconds on CLOCK_MONOTONIC: the send time PUBLISHes carry and every receiver (Node or
 * native) subtracts it from, so latency means the same thing whichever process reads it.
 */
export function monotonicMs(): number {
  return performance.now() + OFFSET_MS
}
