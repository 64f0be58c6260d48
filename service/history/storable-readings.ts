import type { Reading } from '../reading.js'

/**
 * The readings of a batch as a store can keep them. The ingest retries a batch whose write failed until it
 * succeeds, so one reading no store can hold must not fail the batch: a reading without a finite time or
 * temperature is left out, a setpoint or humidity that is not finite is left off, and a time is cut to whole
 * milliseconds (InfluxDB's line protocol takes integers only). The batch comes back as it is when all is well.
 */
export function storableReadings(readings: readonly Reading[]): readonly Reading[] {
  if (readings.every(isClean)) return readings
  return readings
    .filter((r) => Number.isFinite(r.time) && Number.isFinite(r.temperature))
    .map((reading) => {
      const clean: Reading = { ...reading, time: Math.floor(reading.time) }
      if (clean.setpoint !== undefined && !Number.isFinite(clean.setpoint)) delete clean.setpoint
      if (clean.humidity !== undefined && !Number.isFinite(clean.humidity)) delete clean.humidity
      return clean
    })
}

function isClean(r: Reading): boolean {
  return (
    Number.isSafeInteger(r.time) &&
    Number.isFinite(r.temperature) &&
    (r.setpoint === undefined || Number.isFinite(r.setpoint)) &&
    (r.humidity === undefined || Number.isFinite(r.humidity))
  )
}
