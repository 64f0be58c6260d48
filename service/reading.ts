import type { ReadingMessage } from '../common/contract/reading-message.js'

/**
 * One temperature measurement as the service sees it, whatever format it arrived in: the contract's
 * reading (time, temperature and a thermostat's setpoint, heating and mode) plus which device it is and
 * how it came. Adapters produce it from device payloads; the history stores keep it; the API returns it.
 */
export interface Reading extends ReadingMessage {
  /** `{site}/{device}`: the id the API uses. Devices that come through an adapter use the source as site (`tasmota/kitchen`). */
  deviceId: string
  site: string
  device: string
  /** Which format it came in: 'thermopost', 'tasmota', 'shelly', 'zigbee2mqtt', 'esphome', 'homie', later 'sparkplug'. */
  source: string
  /** Relative humidity in %, when the device reports it. */
  humidity?: number
}

export function deviceIdOf(site: string, device: string): string {
  return `${site}/${device}`
}
