import { z } from 'zod'

/**
 * Home Assistant's MQTT discovery payloads for `climate` and `sensor`, written from its documentation
 * (home-assistant.io/integrations/climate.mqtt, sensor.mqtt and the MQTT discovery page: the device block,
 * availability, the entity keys). A real Home Assistant cannot run here; these schemas stand in for its
 * validation: strict (a key it does not know is an error, as it logs one and ignores the entity), with the
 * value kinds and choices it documents. Only the full key names are listed, which is what we send.
 */

/** A topic to publish or subscribe to: not empty, no wildcards (a state topic may not be a filter in discovery). */
const topic = z
  .string()
  .min(1)
  .refine((value) => !value.includes('+') && !value.includes('#'), 'a topic without wildcards')
/** A Jinja template; rendered by Home Assistant, so here only checked to be one. */
const template = z.string().includes('{{')
const qos = z.union([z.literal(0), z.literal(1), z.literal(2)])

/** The `device` block: ties entities to one device in the device registry; identifiers or connections required. */
const device = z
  .strictObject({
    configuration_url: z.string().optional(),
    connections: z.array(z.tuple([z.string(), z.string()])).optional(),
    hw_version: z.string().optional(),
    identifiers: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    manufacturer: z.string().optional(),
    model: z.string().optional(),
    model_id: z.string().optional(),
    name: z.string().optional(),
    serial_number: z.string().optional(),
    suggested_area: z.string().optional(),
    sw_version: z.string().optional(),
    via_device: z.string().optional()
  })
  .refine((block) => block.identifiers !== undefined || block.connections !== undefined, 'a device needs identifiers or connections')

/** Keys every MQTT entity takes. `unique_id` and `device` are optional to Home Assistant; ours must have them. */
const entity = {
  availability: z
    .array(
      z.strictObject({
        topic,
        payload_available: z.string().optional(),
        payload_not_available: z.string().optional(),
        value_template: template.optional()
      })
    )
    .optional(),
  availability_mode: z.enum(['all', 'any', 'latest']).optional(),
  availability_template: template.optional(),
  availability_topic: topic.optional(),
  payload_available: z.string().optional(),
  payload_not_available: z.string().optional(),
  device,
  enabled_by_default: z.boolean().optional(),
  encoding: z.string().optional(),
  entity_category: z.enum(['config', 'diagnostic']).optional(),
  entity_picture: z.string().optional(),
  icon: z.string().optional(),
  json_attributes_template: template.optional(),
  json_attributes_topic: topic.optional(),
  /** null: the entity takes the device's name. */
  name: z.string().nullable().optional(),
  object_id: z.string().optional(),
  qos: qos.optional(),
  unique_id: z.string().min(1)
}

const climateModes = z.enum(['auto', 'off', 'cool', 'heat', 'dry', 'fan_only'])

export const climateDiscoverySchema = z
  .strictObject({
    ...entity,
    action_template: template.optional(),
    action_topic: topic.optional(),
    current_humidity_template: template.optional(),
    current_humidity_topic: topic.optional(),
    current_temperature_template: template.optional(),
    current_temperature_topic: topic.optional(),
    fan_mode_command_template: template.optional(),
    fan_mode_command_topic: topic.optional(),
    fan_mode_state_template: template.optional(),
    fan_mode_state_topic: topic.optional(),
    fan_modes: z.array(z.string()).optional(),
    initial: z.number().optional(),
    max_humidity: z.number().optional(),
    max_temp: z.number().optional(),
    min_humidity: z.number().optional(),
    min_temp: z.number().optional(),
    mode_command_template: template.optional(),
    mode_command_topic: topic.optional(),
    mode_state_template: template.optional(),
    mode_state_topic: topic.optional(),
    modes: z.array(climateModes).optional(),
    optimistic: z.boolean().optional(),
    payload_off: z.string().optional(),
    payload_on: z.string().optional(),
    power_command_template: template.optional(),
    power_command_topic: topic.optional(),
    precision: z.union([z.literal(0.1), z.literal(0.5), z.literal(1)]).optional(),
    preset_mode_command_template: template.optional(),
    preset_mode_command_topic: topic.optional(),
    preset_mode_state_topic: topic.optional(),
    preset_mode_value_template: template.optional(),
    preset_modes: z.array(z.string()).optional(),
    retain: z.boolean().optional(),
    swing_mode_command_template: template.optional(),
    swing_mode_command_topic: topic.optional(),
    swing_mode_state_template: template.optional(),
    swing_mode_state_topic: topic.optional(),
    swing_modes: z.array(z.string()).optional(),
    target_humidity_command_template: template.optional(),
    target_humidity_command_topic: topic.optional(),
    target_humidity_state_template: template.optional(),
    target_humidity_state_topic: topic.optional(),
    temperature_command_template: template.optional(),
    temperature_command_topic: topic.optional(),
    temperature_high_command_template: template.optional(),
    temperature_high_command_topic: topic.optional(),
    temperature_high_state_template: template.optional(),
    temperature_high_state_topic: topic.optional(),
    temperature_low_command_template: template.optional(),
    temperature_low_command_topic: topic.optional(),
    temperature_low_state_template: template.optional(),
    temperature_low_state_topic: topic.optional(),
    temperature_state_template: template.optional(),
    temperature_state_topic: topic.optional(),
    temperature_unit: z.enum(['C', 'F']).optional(),
    temp_step: z.number().positive().optional(),
    value_template: template.optional()
  })
  .refine(
    (config) => config.min_temp === undefined || config.max_temp === undefined || config.min_temp < config.max_temp,
    'min_temp below max_temp'
  )

/** Units Home Assistant accepts for device_class temperature. */
const temperatureUnits = z.enum(['°C', '°F', 'K'])

export const sensorDiscoverySchema = z
  .strictObject({
    ...entity,
    device_class: z.string().optional(),
    expire_after: z.number().int().min(0).optional(),
    force_update: z.boolean().optional(),
    last_reset_value_template: template.optional(),
    options: z.array(z.string()).optional(),
    suggested_display_precision: z.number().int().min(0).optional(),
    state_class: z.enum(['measurement', 'measurement_angle', 'total', 'total_increasing']).optional(),
    state_topic: topic,
    unit_of_measurement: z.string().optional(),
    value_template: template.optional()
  })
  .refine(
    (config) => config.device_class !== 'temperature' || temperatureUnits.safeParse(config.unit_of_measurement).success,
    'a temperature sensor needs unit_of_measurement °C, °F or K'
  )

/** The discovery topic: `{prefix}/{component}/[{node_id}/]{object_id}/config`, ids of letters, digits, `_` and `-`. */
export function discoveryTopicPattern(prefix: string, component: 'climate' | 'sensor'): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${component}/([A-Za-z0-9_-]+/)?[A-Za-z0-9_-]+/config$`)
}

/** Parses a retained discovery payload and checks it against the schema; throws naming every problem. */
export function validDiscovery<S extends z.ZodType>(schema: S, payload: Buffer): z.infer<S> {
  const result = schema.safeParse(JSON.parse(payload.toString()))
  if (!result.success) throw new Error(`not a valid discovery payload: ${z.prettifyError(result.error)}`)
  return result.data
}
