import type { Reading } from '../../service/api/api-types.js'
import { gapAfterSpacing, withGaps, type XY } from './line-gaps.js'

type LiveReading = Pick<Reading, 'time' | 'temperature' | 'setpoint'>

/**
 * The live chart's data: the readings of the last `spanMs` before the newest one, oldest first. Keyed on the
 * readings' own times, not the browser's clock, so a device whose clock is off still draws. Readings that arrive
 * late or twice (store-and-forward, a QoS 1 resend) go to their place once. The lines break where readings are
 * missing for more than three of the device's usual spacings (an outage), and the setpoint line takes an
 * acknowledged setpoint at once instead of at the next reading.
 */
export class LiveWindow {
  private readonly readings: LiveReading[] = []
  /** A setpoint the device acknowledged after its newest reading; the next reading carries it itself. */
  private acknowledged: { time: number; value: number } | undefined

  constructor(readonly spanMs: number) {}

  /** How many readings the window holds. */
  get size(): number {
    return this.readings.length
  }

  get latest(): LiveReading | undefined {
    return this.readings.at(-1)
  }

  get temperature(): XY[] {
    return this.line((reading) => reading.temperature)
  }

  /** The setpoint of each reading, then the acknowledged one from when it was acknowledged (or the newest reading). */
  get setpoint(): XY[] {
    const line = this.line((reading) => reading.setpoint ?? null)
    if (this.acknowledged !== undefined)
      line.push({ x: Math.max(this.acknowledged.time, this.latest?.time ?? -Infinity), y: this.acknowledged.value })
    return line
  }

  /** False when the reading was already there or is older than the window. */
  add(reading: LiveReading): boolean {
    const newest = this.latest?.time ?? -Infinity
    if (reading.time < newest - this.spanMs) return false
    let index = this.readings.length
    while (index > 0 && this.readings[index - 1].time > reading.time) index--
    if (this.readings[index - 1]?.time === reading.time) return false
    this.readings.splice(index, 0, { time: reading.time, temperature: reading.temperature, setpoint: reading.setpoint })
    if (reading.time > newest) this.acknowledged = undefined
    this.trim()
    return true
  }

  /** The device acknowledged a new setpoint at `time` (the service's clock): draw it now. */
  acknowledge(value: number, time: number): void {
    this.acknowledged = { time, value }
  }

  private line(value: (reading: LiveReading) => number | null): XY[] {
    const gap = gapAfterSpacing(this.readings.map((reading) => reading.time))
    return withGaps(this.readings, gap, (reading) => reading.time, value)
  }

  private trim(): void {
    const start = (this.latest?.time ?? 0) - this.spanMs
    let drop = 0
    while (drop < this.readings.length && this.readings[drop].time < start) drop++
    this.readings.splice(0, drop)
  }
}
