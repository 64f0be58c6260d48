import type { SparkplugMetric } from '../../common/sparkplug/sparkplug-payload.js'
import { THERMOSTAT_METRICS, type ThermostatMetric, UNIT_PROPERTY } from '../../common/sparkplug/thermostat-metrics.js'
import { fromCelsius, toCelsius } from '../adapters/temperature-unit.js'

/** What the host knows of one Sparkplug device: the aliases and units its DBIRTH gave, and the last value of each metric (°C). */
export interface DeviceMetrics {
  aliases: Map<number, ThermostatMetric>
  /** The `engUnit` of its temperature and setpoint when the birth gave one: °F and K are converted. */
  units: { temperature?: string; setpoint?: string }
  values: { temperature?: number; setpoint?: number; heating?: boolean }
  /** When the temperature was measured, ms since the epoch. */
  time?: number
}

const KNOWN = new Map<string, ThermostatMetric>(
  Object.entries(THERMOSTAT_METRICS).map(([key, { name }]) => [name, key as ThermostatMetric])
)

/** A device as its DBIRTH describes it; metrics other than a thermostat's are left out. */
export function deviceFromBirth(metrics: readonly SparkplugMetric[], time: number): DeviceMetrics {
  const device: DeviceMetrics = { aliases: new Map(), units: {}, values: {} }
  for (const metric of metrics) {
    const known = metric.name === undefined ? undefined : KNOWN.get(metric.name)
    if (known !== undefined && metric.alias !== undefined) device.aliases.set(metric.alias, known)
    const unit = metric.properties?.[UNIT_PROPERTY]
    if ((known === 'temperature' || known === 'setpoint') && unit !== undefined) device.units[known] = unit
  }
  applyMetrics(device, metrics, time)
  return device
}

/** Takes the values of DBIRTH or DDATA metrics (by name, or by the birth's alias); returns which of them the message held. */
export function applyMetrics(device: DeviceMetrics, metrics: readonly SparkplugMetric[], time: number): Set<ThermostatMetric> {
  const reported = new Set<ThermostatMetric>()
  for (const metric of metrics) {
    const known =
      metric.name === undefined ? (metric.alias === undefined ? undefined : device.aliases.get(metric.alias)) : KNOWN.get(metric.name)
    if (known === undefined || metric.value === null) continue
    if (known === 'heating') {
      if (typeof metric.value !== 'boolean') continue
      device.values.heating = metric.value
      reported.add(known)
    } else if (typeof metric.value === 'number' && Number.isFinite(metric.value)) {
      // A Float carries 21.3 as 21.299999237...: back to the hundredths a thermostat reports.
      const unit = device.units[known]
      const celsius = unit === undefined ? metric.value : (toCelsius(metric.value, unit) ?? metric.value)
      device.values[known] = Math.round(celsius * 100) / 100
      reported.add(known)
      if (known === 'temperature') device.time = metric.timestamp ?? time
    }
  }
  return reported
}

/** A setpoint in °C as the device takes it, in the unit its birth gave the setpoint. */
export function setpointInDeviceUnit(device: DeviceMetrics | undefined, celsius: number): number {
  const unit = device?.units.setpoint
  return unit === undefined ? celsius : (fromCelsius(celsius, unit) ?? celsius)
}

/** The alias a DCMD writes the setpoint with, or undefined when the birth gave it none (then it goes by name). */
export function setpointAlias(device: DeviceMetrics): number | undefined {
  for (const [alias, metric] of device.aliases) if (metric === 'setpoint') return alias
  return undefined
}
