import type { Reading } from '../reading.js'

/**
 * An ingest adapter: turns one device format's MQTT messages into readings.
 *
 * Device ids: every adapter names its devices `{source}/{name}` (the source is the site, as in
 * `tasmota/kitchen`), and a device with several temperature sensors gets one id per sensor beneath
 * it (`tasmota/boiler/DS18B20-1`). A status result names the device itself and covers every id
 * beneath it.
 *
 * State: adapters that need metadata (Homie's `$unit`, ESPHome's discovery config) learn it from the
 * same `decode` call, fed with the retained messages of their plain subscriptions; they return
 * `no-reading` for them. Before the metadata has arrived they fall back to what the topic says.
 */
export interface Adapter {
  /** The format's name, also the `source` of its readings: 'tasmota', 'shelly', ... */
  readonly name: string
  readonly subscriptions: readonly AdapterSubscription[]
  /** Never throws for a bad payload: it says `unrecognized` with the reason instead. */
  decode(topic: string, payload: Buffer, receivedAt: number): AdapterResult
}

export interface AdapterSubscription {
  filter: string
  /**
   * True for live readings, which several service instances may split through `$share/{group}/`.
   * False for retained metadata and status: the broker never sends retained messages to a shared
   * subscription, and every instance needs all of them. No plain filter may match a topic that
   * carries readings, or an instance would get that message twice and store the reading twice.
   */
  shareable: boolean
}

export type AdapterResult =
  | { kind: 'readings'; readings: Reading[] }
  | { kind: 'status'; status: DeviceStatus }
  /** The adapter's own message, understood, with no reading in it: metadata it kept, a sensor that is not a thermometer. */
  | { kind: 'no-reading' }
  /** Another format's message; the dispatcher asks the next adapter. */
  | { kind: 'not-mine' }
  /** The adapter's own message, but its payload cannot be read; counted and logged by ingest. */
  | { kind: 'unrecognized'; reason: string }

/** Online or offline, from a device's own status topic (Homie `$state`, Tasmota `LWT`). */
export interface DeviceStatus {
  /** `{site}/{device}`; the status also holds for every id beneath it (`homie/thermo-1/...`). */
  deviceId: string
  site: string
  device: string
  source: string
  online: boolean
  /** The device's own word for it: 'ready', 'lost', 'Online', ... */
  state: string
  /** When it was received, ms since the epoch: status topics carry no time. */
  time: number
}

export const notMine: AdapterResult = Object.freeze({ kind: 'not-mine' })
export const noReading: AdapterResult = Object.freeze({ kind: 'no-reading' })

export function unrecognized(reason: string): AdapterResult {
  return { kind: 'unrecognized', reason }
}

export function readings(list: Reading[]): AdapterResult {
  return { kind: 'readings', readings: list }
}
