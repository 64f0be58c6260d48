import type { Reading } from '../../service/api/api-types.js'
import type { XY } from './history-datasets.js'

/**
 * The live chart's data: the readings of the last `spanMs` before the newest one, oldest first. Keyed on the
 * readings' own times, not the browser's clock, so a device whose clock is off still draws. Readings that arrive
 * late or twice (store-and-forward, a QoS 1 resend) go to their place once.
 */
export class LiveWindow {
  readonly temperature: XY[] = []
  readonly setpoint: XY[] = []

  constructor(readonly spanMs: number) {}

  /** False when the reading was already there or is older than the window. */
  add(reading: Pick<Reading, 'time' | 'temperature' | 'setpoint'>): boolean {
    const newest = this.temperature.at(-1)?.x ?? -Infinity
    if (reading.time < newest - this.spanMs) return false
    let index = this.temperature.length
    while (index > 0 && this.temperature[index - 1].x > reading.time) index--
    if (this.temperature[index - 1]?.x === reading.time) return false
    this.temperature.splice(index, 0, { x: reading.time, y: reading.temperature })
    this.setpoint.splice(index, 0, { x: reading.time, y: reading.setpoint ?? null })
    this.trim()
    return true
  }

  private trim(): void {
    const start = (this.temperature.at(-1)?.x ?? 0) - this.spanMs
    let drop = 0
    while (drop < this.temperature.length && this.temperature[drop].x < start) drop++
    this.temperature.splice(0, drop)
    this.setpoint.splice(0, drop)
  }
}
