import { type Adapter, type AdapterResult, noReading, notMine, readings, unrecognized } from './adapter.js'
import { adapterReading, adapterStatus, type ReadingExtras } from './adapter-reading.js'
import { finiteNumber, type JsonObject, parseJsonObject, parsePlainNumber, zonedTime } from './payload-values.js'

/**
 * Zigbee2MQTT: each device's state as one JSON object on `zigbee2mqtt/{friendly_name}` (names may
 * contain slashes). Sensors send `temperature` (and `humidity`); thermostats and TRVs send
 * `local_temperature`, `occupied_heating_setpoint` or `current_heating_setpoint`, and `running_state`
 * ('heat' | 'idle' | ...). Always °C. The time is `last_seen` when Z2M adds it with a zone (ISO 8601
 * or epoch ms), else the receive time.
 *
 * Not readings: `zigbee2mqtt/bridge/...`, and the `/set` and `/get` subtopics. `/availability` is the
 * device's status: `{"state":"online"}` / `{"state":"offline"}` (or plain `online` / `offline`, Z2M's legacy
 * payload), retained, so it has a plain subscription of its own besides the shared one (one topic level of
 * friendly name; deeper names get the live changes through the shared subscription).
 * With `output: attribute`, a device's attributes arrive one per subtopic as plain values: the
 * `temperature` / `local_temperature` ones are read, the others passed over.
 *
 * Device id: `zigbee2mqtt/{friendly_name}`.
 */

const source = 'zigbee2mqtt'
const temperatureAttributes = new Set(['temperature', 'local_temperature'])
const commandLevels = new Set(['set', 'get'])

export interface Zigbee2mqttOptions {
  /** Z2M's `mqtt.base_topic`; 'zigbee2mqtt' by default. */
  baseTopic?: string
}

export function createZigbee2mqttAdapter(options: Zigbee2mqttOptions = {}): Adapter {
  const base = options.baseTopic ?? 'zigbee2mqtt'
  return {
    name: source,
    subscriptions: [
      { filter: `${base}/#`, shareable: true },
      { filter: `${base}/+/availability`, shareable: false }
    ],
    decode(topic, payload, receivedAt) {
      if (!topic.startsWith(`${base}/`)) return notMine
      const levels = topic.slice(base.length + 1).split('/')
      if (levels[0] === 'bridge') return noReading
      if (levels.length > 1 && levels.at(-1) === 'availability')
        return decodeAvailability(levels.slice(0, -1).join('/'), payload, receivedAt)
      if (levels.slice(1).some((level) => commandLevels.has(level))) return noReading
      const state = parseJsonObject(payload)
      if (typeof state !== 'string') return decodeState(levels.join('/'), state, receivedAt)
      if (levels.length === 1) return unrecognized(state)
      return decodeAttribute(levels, payload, receivedAt)
    }
  }
}

function decodeAvailability(name: string, payload: Buffer, receivedAt: number): AdapterResult {
  const json = parseJsonObject(payload)
  const state = typeof json === 'string' ? payload.toString('utf8') : json.state
  if (state !== 'online' && state !== 'offline')
    return unrecognized(`availability ${JSON.stringify(String(state).slice(0, 40))} is neither online nor offline`)
  return { kind: 'status', status: adapterStatus(source, name, state === 'online', state, receivedAt) }
}

function decodeState(name: string, state: JsonObject, receivedAt: number): AdapterResult {
  const key = 'temperature' in state ? 'temperature' : 'local_temperature' in state ? 'local_temperature' : undefined
  if (key === undefined) return noReading
  const temperature = finiteNumber(state[key])
  if (temperature === undefined) return unrecognized(`${key} is not a number`)
  const extras: ReadingExtras = {
    setpoint: finiteNumber(state.occupied_heating_setpoint) ?? finiteNumber(state.current_heating_setpoint),
    heating: typeof state.running_state === 'string' ? state.running_state === 'heat' : undefined,
    humidity: finiteNumber(state.humidity)
  }
  return readings([adapterReading(source, name, zonedTime(state.last_seen) ?? receivedAt, temperature, extras)])
}

function decodeAttribute(levels: string[], payload: Buffer, receivedAt: number): AdapterResult {
  const attribute = levels.at(-1)!
  if (!temperatureAttributes.has(attribute)) return noReading
  const temperature = parsePlainNumber(payload)
  if (temperature === undefined) return unrecognized(`${attribute} is not a number`)
  return readings([adapterReading(source, levels.slice(0, -1).join('/'), receivedAt, temperature)])
}
