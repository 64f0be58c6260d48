import type { SparkplugMetric } from '../../common/sparkplug/sparkplug-payload.js'
import { THERMOSTAT_METRICS, type ThermostatMetric } from '../../common/sparkplug/thermostat-metrics.js'

/** What the host knows of one Sparkplug device: the aliases its DBIRTH gave, and the last value of each metric. */
export interface DeviceMetrics {
  aliases: Map<number, ThermostatMetric>
  values: { temperature?: number; setpoint?: number; heating?: boolean }
  /** When the temperature was measured, ms since the epoch. */
  time?: number
}

const KNOWN = new Map<string, ThermostatMetric>(
  Object.entries(THERMOSTAT_METRICS).map(([key, { name }]) => [name, key as ThermostatMetric])
)

/** A device as its DBIRTH describes it; metrics other than a thermostat's are left out. */
export function deviceFromBirth(metrics: readonly SparkplugMetric[], time: number): DeviceMetrics {
  const device: DeviceMetrics = { aliases: new Map(), values: {} }
  for (const metric of metrics) {
    const known = metric.name === undefined ? undefined : KNOWN.get(metric.name)
    if (known !== undefined && metric.alias !== undefined) device.aliases.set(metric.alias, known)
  }
  applyMetrics(device, metrics, time)
  return device
}

/** Takes the values of DBIRTH or DDATA metrics (by name, or by the birth's alias); true when a temperature was among them. */
export function applyMetrics(device: DeviceMetrics, metrics: readonly SparkplugMetric[], time: number): boolean {
  let measured = false
  for (const metric of metrics) {
    const known =
      metric.name === undefined ? (metric.alias === undefined ? undefined : device.aliases.get(metric.alias)) : KNOWN.get(metric.name)
    if (known === undefined || metric.value === null) continue
    if (known === 'heating') {
      if (typeof metric.value === 'boolean') device.values.heating = metric.value
    } else if (typeof metric.value === 'number' && Number.isFinite(metric.value)) {
      // A Float carries 21.3 as 21.299999237...: back to the hundredths a thermostat reports.
      device.values[known] = Math.round(metric.value * 100) / 100
      if (known === 'temperature') {
        measured = true
        device.time = metric.timestamp ?? time
      }
    }
  }
  return measured
}

/** The alias a DCMD writes the setpoint with, or undefined when the birth gave it none (then it goes by name). */
export function setpointAlias(device: DeviceMetrics): number | undefined {
  for (const [alias, metric] of device.aliases) if (metric === 'setpoint') return alias
  return undefined
}
