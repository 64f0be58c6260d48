import { type Adapter, type AdapterResult, noReading, notMine, readings, unrecognized } from './adapter.js'
import { adapterReading, adapterStatus } from './adapter-reading.js'
import { type JsonObject, parseJsonObject, parsePlainNumber } from './payload-values.js'
import { isTemperatureUnit, toCelsius } from './temperature-unit.js'

/**
 * ESPHome: each sensor's value as plain text on `{node}/sensor/{object_id}/state` ('21.5'; 'nan'
 * when the sensor has none). Which sensors are thermometers, and their unit, comes from the Home
 * Assistant discovery config ESPHome publishes retained on
 * `homeassistant/sensor/{node}/{object_id}/config` (`dev_cla`/`device_class` 'temperature',
 * `unit_of_meas`/`unit_of_measurement`, `stat_t`/`state_topic`, abbreviated or not, `~` expanded).
 * Without a config for a state topic, a sensor counts as a thermometer in °C when a word of its
 * object id is 'temperature' or 'temp' (`living_room_temperature`); a config, once seen, decides.
 * State topics outside `{node}/sensor/{object_id}/state` (a custom topic prefix with slashes) are
 * not subscribed. States carry no time: the receive time is used.
 *
 * Availability: ESPHome's birth and will, `online` / `offline` retained on `{node}/status`, is the status
 * of the node and every sensor of it (Home Assistant's own `homeassistant/status` is not a node's).
 *
 * Device id: `esphome/{node}/{object_id}`.
 */

const source = 'esphome'

interface SensorConfig {
  temperature: boolean
  unit: string
}

export interface EsphomeOptions {
  /** Home Assistant's discovery prefix; 'homeassistant' by default. */
  discoveryPrefix?: string
}

export function createEsphomeAdapter(options: EsphomeOptions = {}): Adapter {
  const discovery = options.discoveryPrefix ?? 'homeassistant'
  const byStateTopic = new Map<string, SensorConfig>()
  const stateTopicOfConfig = new Map<string, string>()

  function decodeConfig(topic: string, payload: Buffer): AdapterResult {
    const previous = stateTopicOfConfig.get(topic)
    if (previous !== undefined) {
      byStateTopic.delete(previous)
      stateTopicOfConfig.delete(topic)
    }
    // An empty retained payload removes the entity.
    if (payload.length === 0) return noReading
    const config = parseJsonObject(payload)
    if (typeof config === 'string') return unrecognized(`discovery config: ${config}`)
    const stateTopic = expandBase(config, field(config, 'stat_t', 'state_topic'))
    if (stateTopic === undefined) return noReading
    const deviceClass = field(config, 'dev_cla', 'device_class')
    const unit = field(config, 'unit_of_meas', 'unit_of_measurement')
    const temperature = deviceClass === 'temperature' || (deviceClass === undefined && unit !== undefined && isTemperatureUnit(unit))
    byStateTopic.set(stateTopic, { temperature, unit: unit ?? '°C' })
    stateTopicOfConfig.set(topic, stateTopic)
    return noReading
  }

  function decodeState(topic: string, node: string, objectId: string, payload: Buffer, receivedAt: number): AdapterResult {
    const sensor = byStateTopic.get(topic) ?? { temperature: namedTemperature(objectId), unit: '°C' }
    if (!sensor.temperature) return noReading
    const value = parsePlainNumber(payload)
    if (value === undefined) return unrecognized('state is not a number')
    const celsius = toCelsius(value, sensor.unit)
    if (celsius === undefined) return unrecognized(`unit ${JSON.stringify(sensor.unit)} is not a temperature unit`)
    return readings([adapterReading(source, `${node}/${objectId}`, receivedAt, celsius)])
  }

  return {
    name: source,
    subscriptions: [
      { filter: '+/sensor/+/state', shareable: true },
      { filter: `${discovery}/sensor/+/+/config`, shareable: false },
      { filter: '+/status', shareable: false }
    ],
    decode(topic, payload, receivedAt) {
      const levels = topic.split('/')
      if (levels.length === 4 && levels[1] === 'sensor' && levels[3] === 'state') {
        return decodeState(topic, levels[0], levels[2], payload, receivedAt)
      }
      if (levels.length === 5 && levels[0] === discovery && levels[1] === 'sensor' && levels[4] === 'config')
        return decodeConfig(topic, payload)
      if (levels.length === 2 && levels[1] === 'status' && levels[0] !== discovery) return decodeStatus(levels[0], payload, receivedAt)
      return notMine
    }
  }
}

function decodeStatus(node: string, payload: Buffer, receivedAt: number): AdapterResult {
  const state = payload.toString('utf8')
  if (state !== 'online' && state !== 'offline')
    return unrecognized(`status ${JSON.stringify(state.slice(0, 40))} is neither online nor offline`)
  return { kind: 'status', status: adapterStatus(source, node, state === 'online', state, receivedAt) }
}

function field(config: JsonObject, short: string, long: string): string | undefined {
  const value = config[short] ?? config[long]
  return typeof value === 'string' ? value : undefined
}

/** Home Assistant's `~`: a topic that starts or ends with it has the base topic put in its place. */
function expandBase(config: JsonObject, topic: string | undefined): string | undefined {
  const base = config['~']
  if (topic === undefined || typeof base !== 'string') return topic
  if (topic.startsWith('~')) return base + topic.slice(1)
  if (topic.endsWith('~')) return topic.slice(0, -1) + base
  return topic
}

function namedTemperature(objectId: string): boolean {
  return objectId
    .toLowerCase()
    .split(/[_-]/)
    .some((word) => word === 'temperature' || word === 'temp')
}
