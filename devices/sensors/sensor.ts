/**
 * One temperature sensor of this machine, found under sysfs. `id` is stable across reboots and safe
 * as an MQTT topic level (letters, digits, '.', '_' and '-'); `read()` resolves with °C or rejects
 * with a SensorReadError that says which file failed and why.
 */
export interface Sensor {
  readonly id: string
  /** For people: the zone type, the chip and its label, or the probe. */
  readonly label: string
  readonly kind: SensorKind
  /** What it is, for the device's meta: 'thermal/x86_pkg_temp', 'hwmon/coretemp', 'w1/DS18B20'. */
  readonly model: string
  /** The file a reading comes from. */
  readonly source: string
  /** Failed read attempts so far, retries included: a sensor that keeps failing shows here. */
  readonly failures: number
  read(): Promise<number>
}

export type SensorKind = 'thermal' | 'hwmon' | 'w1'

/** A reading that could not be taken: a missing file, a driver error, a bad CRC, a reset value. */
export class SensorReadError extends Error {}

/**
 * What one reader looked for and what it found. `note` says why nothing was found when that is
 * worth knowing (the class directory does not exist, so the driver is not loaded).
 */
export interface SensorSearch {
  kind: SensorKind
  /** The glob the reader walked, under the sysfs root it was given. */
  pattern: string
  sensors: Sensor[]
  note?: string
}

export interface SensorSpec {
  id: string
  label: string
  kind: SensorKind
  model: string
  source: string
  /** One attempt at a reading in °C. */
  readOnce: () => Promise<number>
  /** Attempts per read() before it gives up (1 = no retry). */
  attempts?: number
}

/** A Sensor whose read() retries a failed attempt up to `attempts` times and counts every failure. */
export function makeSensor(spec: SensorSpec): Sensor {
  const attempts = spec.attempts ?? 1
  let failures = 0
  return {
    id: spec.id,
    label: spec.label,
    kind: spec.kind,
    model: spec.model,
    source: spec.source,
    get failures() {
      return failures
    },
    async read() {
      let last: unknown
      for (let attempt = 0; attempt < attempts; attempt++) {
        try {
          return await spec.readOnce()
        } catch (error) {
          failures++
          last = error
        }
      }
      throw last
    }
  }
}

/** Joins name parts into a sensor id: lower case, anything outside [a-z0-9._-] becomes '-'. */
export function sensorId(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-+$/, '')
}
