import { SETPOINT_RANGE } from '../common/contract/command.js'
import { STATUS_OFFLINE, STATUS_ONLINE } from '../common/contract/status.js'
import { commandTopic, deviceTopic } from '../common/contract/topics.js'

/**
 * Home Assistant MQTT discovery for a thermostat: one retained config that makes it a climate entity
 * with no setup. Home Assistant reads plain values or templates over JSON, so every state comes from
 * the reading JSON through a value template (readings must be JSON for this, not compact), and its
 * commands arrive as bare values (`21.5`, `heat`), which the device accepts next to `{id, value}`.
 */

/** Home Assistant's birth and last-will topic: `online` there means it (re)started and wants discovery again. */
export const HOME_ASSISTANT_STATUS = 'homeassistant/status'

export interface DiscoveryDevice {
  site: string
  device: string
  model: string
  firmware: string
}

/** The retained config topic: `homeassistant/climate/thermopost_{site}_{device}/config`. */
export function discoveryTopic(site: string, device: string): string {
  return `homeassistant/climate/${objectId(site, device)}/config`
}

export function discoveryConfig({ site, device, model, firmware }: DiscoveryDevice): Buffer {
  const id = objectId(site, device)
  const reading = deviceTopic(site, device, 'reading')
  return Buffer.from(
    JSON.stringify({
      name: null,
      unique_id: id,
      device: { identifiers: [id], name: `${site} ${device}`, manufacturer: 'thermopost', model, sw_version: firmware },
      availability_topic: deviceTopic(site, device, 'status'),
      payload_available: STATUS_ONLINE,
      payload_not_available: STATUS_OFFLINE,
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
      temp_step: 0.5,
      precision: 0.1,
      temperature_unit: 'C',
      qos: 1
    })
  )
}

/** Discovery object ids allow only letters, digits, `_` and `-`. */
function objectId(site: string, device: string): string {
  return `thermopost_${site}_${device}`.replace(/[^A-Za-z0-9_-]/g, '_')
}
