import type { Mode } from './mode.js'

/**
 * A reading's payload, whichever form it travels in (reading-codec.ts, compact-reading.ts).
 * Times are milliseconds since the epoch, temperatures degrees Celsius.
 */
export interface ReadingMessage {
  /** When it was measured (not sent: buffered readings keep it), ms since the epoch, whole. */
  time: number
  /** °C. */
  temperature: number
  /** Thermostats: the target, °C. */
  setpoint?: number
  /** Thermostats: whether the heater is on now. */
  heating?: boolean
  /** Thermostats: `off` (never heats) or `heat`. */
  mode?: Mode
}
