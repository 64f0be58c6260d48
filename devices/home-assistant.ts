import { SETPOINT_RANGE } from '../common/contract/command.js'
import { STATUS_OFFLINE, STATUS_ONLINE } from '../common/contract/status.js'
import { commandTopic, deviceTopic } from '../common/contract/topics.js'
import type { DeviceLinkOptions } from './device-link.js'

/**
 * Home Assistant MQTT discovery: one retained config per device that makes it an entity with no setup, a
 * `climate` for a thermostat and a temperature `sensor` for a plain sensor, each with a `device` block and a
 * `unique_id`. Home Assistant reads plain values or templates over JSON, so every state comes from the
 * reading JSON through a value template (readings must be JSON for this, not compact), and its commands
 * arrive as bare values (`21.5`, `heat`), which the device accepts next to `{id, value}`.
 */

/** Home Assistant's default discovery prefix. */
export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant'

/** Home Assistant's birth and last-will topic: `online` there means it (re)started and wants discovery again. */
export function homeAssistantStatusTopic(prefix: string): string {
  return `${prefix}/status`
}

/** The birth topic under the default prefix. */
export const HOME_ASSISTANT_STATUS = homeAssistantStatusTopic(DEFAULT_DISCOVERY_PREFIX)

export interface DiscoveryDevice {
  site: string
  device: string
  model: string
  firmware: string
}

export type DiscoveryComponent = 'climate' | 'sensor'

/** The retained config topic: `{prefix}/{component}/thermopost_{site}_{device}/config`. */
export function discoveryTopic(
  site: string,
  device: string,
  component: DiscoveryComponent = 'climate',
  prefix = DEFAULT_DISCOVERY_PREFIX
): string {
  return `${prefix}/${component}/${objectId(site, device)}/config`
}

/** The keys every config of ours has: identity, the device block, and availability from the contract's status topic. */
function entityBase({ site, device, model, firmware }: DiscoveryDevice): Record<string, unknown> {
  const id = objectId(site, device)
  return {
    name: null, // the entity is the device itself: Home Assistant shows the device's name
    unique_id: id,
    device: { identifiers: [id], name: `${site} ${device}`, manufacturer: 'thermopost', model, sw_version: firmware },
    availability_topic: deviceTopic(site, device, 'status'),
    payload_available: STATUS_ONLINE,
    payload_not_available: STATUS_OFFLINE,
    qos: 1
  }
}

/** A thermostat as a `climate` entity: current temperature, setpoint and mode from the reading; setpoint and mode commands. */
export function climateConfig(thermostat: DiscoveryDevice): Buffer {
  const { site, device } = thermostat
  const reading = deviceTopic(site, device, 'reading')
  return Buffer.from(
    JSON.stringify({
      ...entityBase(thermostat),
      current_temperature_topic: reading,
      current_temperature_template: '{{ value_json.temperature }}',
      temperature_command_topic: commandTopic(site, device, 'setpoint'),
      temperature_state_topic: reading,
      temperature_state_template: '{{ value_json.setpoint }}',
      mode_command_topic: commandTopic(site, device, 'mode'),
      mode_state_topic: reading,
      mode_state_template: '{{ value_json.mode }}',
      modes: ['off', 'heat'],
      action_topic: reading,
      action_template: "{{ 'heating' if value_json.heating else ('off' if value_json.mode == 'off' else 'idle') }}",
      min_temp: SETPOINT_RANGE.min,
      max_temp: SETPOINT_RANGE.max,
      temp_step: SETPOINT_RANGE.step,
      precision: 0.1,
      temperature_unit: 'C'
    })
  )
}

/** A plain temperature sensor (the agent's) as a `sensor` entity reading the temperature from its reading JSON. */
export function sensorConfig(sensor: DiscoveryDevice): Buffer {
  return Buffer.from(
    JSON.stringify({
      ...entityBase(sensor),
      device_class: 'temperature',
      state_class: 'measurement',
      unit_of_measurement: '°C',
      state_topic: deviceTopic(sensor.site, sensor.device, 'reading'),
      value_template: '{{ value_json.temperature }}',
      suggested_display_precision: 1
    })
  )
}

/**
 * The device link's part in discovery: `announce` (which publishes the retained config) runs on every connect
 * and whenever Home Assistant's birth message says it is back.
 */
export function discoveryLinkOptions(
  prefix: string,
  announce: () => void
): Pick<DeviceLinkOptions, 'extraSubscriptions' | 'onMessage' | 'onConnect'> {
  const birth = homeAssistantStatusTopic(prefix)
  return {
    extraSubscriptions: [birth],
    onMessage: (topic, payload) => {
      if (topic === birth && payload.toString() === 'online') announce()
    },
    onConnect: () => announce()
  }
}

/** Discovery object ids allow only letters, digits, `_` and `-`. */
function objectId(site: string, device: string): string {
  return `thermopost_${site}_${device}`.replace(/[^A-Za-z0-9_-]/g, '_')
}
