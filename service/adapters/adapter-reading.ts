import { deviceIdOf, type Reading } from '../reading.js'
import type { DeviceStatus } from './adapter.js'

/** The optional parts of a reading, only set when the device sent them. */
export type ReadingExtras = Pick<Reading, 'setpoint' | 'heating' | 'humidity'>

/** A Reading from an adapter: the source is the site, so its id is `{source}/{device}`. */
export function adapterReading(source: string, device: string, time: number, temperature: number, extras: ReadingExtras = {}): Reading {
  return siteReading(source, device, source, time, temperature, extras)
}

/** A Reading from a device that names its own site (thermopost's own contract). */
export function siteReading(
  site: string,
  device: string,
  source: string,
  time: number,
  temperature: number,
  extras: ReadingExtras = {}
): Reading {
  const reading: Reading = { deviceId: deviceIdOf(site, device), site, device, source, time, temperature }
  if (extras.setpoint !== undefined) reading.setpoint = extras.setpoint
  if (extras.heating !== undefined) reading.heating = extras.heating
  if (extras.humidity !== undefined) reading.humidity = extras.humidity
  return reading
}

export function adapterStatus(source: string, device: string, online: boolean, state: string, time: number): DeviceStatus {
  return { deviceId: deviceIdOf(source, device), site: source, device, source, online, state, time }
}
