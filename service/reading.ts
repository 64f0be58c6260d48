/**
 * One temperature measurement as the service sees it, whatever format it arrived in.
 * Adapters produce it from device payloads; the history stores keep it; the API returns it.
 */
export interface Reading {
  /** `{site}/{device}`: the id the API uses. Devices that come through an adapter use the source as site (`tasmota/kitchen`). */
  deviceId: string
  site: string
  device: string
  /** Which format it came in: 'thermopost', 'tasmota', 'shelly', 'zigbee2mqtt', 'esphome', 'homie', later 'sparkplug'. */
  source: string
  /** When it was measured (not received), milliseconds since the epoch. */
  time: number
  /** Degrees Celsius. */
  temperature: number
  /** The thermostat's target, °C, when the device has one. */
  setpoint?: number
  /** Whether the thermostat's heater is on, when the device has one. */
  heating?: boolean
  /** The thermostat's mode, when the device has one: `off` never heats, `heat` follows the setpoint. */
  mode?: 'off' | 'heat'
  /** Relative humidity in %, when the device reports it. */
  humidity?: number
}

export function deviceIdOf(site: string, device: string): string {
  return `${site}/${device}`
}
