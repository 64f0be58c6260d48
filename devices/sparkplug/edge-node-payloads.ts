import type { SparkplugMetric, SparkplugPayload } from '../../common/sparkplug/sparkplug-payload.js'
import {
  BD_SEQ_DATATYPE,
  BD_SEQ_METRIC,
  REBIRTH_METRIC,
  THERMOSTAT_METRICS,
  type ThermostatMetric,
  UNIT_PROPERTY
} from '../../common/sparkplug/thermostat-metrics.js'

/**
 * The payloads a simulated edge node publishes, without their seq (the edge node numbers every message it
 * sends). Births name every metric and give each an alias; data and deaths use the alias only, which keeps a
 * reading small on the wire ([tck-id-payloads-alias-birth-requirement] [tck-id-payloads-alias-data-cmd-requirement]).
 */

/** What a thermostat reports: the values of its three metrics. */
export interface ThermostatValues {
  temperature: number
  setpoint: number
  heating: boolean
}

const METRIC_ORDER: readonly ThermostatMetric[] = ['temperature', 'setpoint', 'heating']

/** A device's metrics have aliases `base`, `base + 1`, `base + 2`: unique over the edge node ([tck-id-payloads-alias-uniqueness]). */
export function aliasBaseOf(deviceSlot: number): number {
  return 1 + deviceSlot * METRIC_ORDER.length
}

/** The alias of `metric` for the device whose aliases start at `base`. */
export function metricAlias(base: number, metric: ThermostatMetric): number {
  return base + METRIC_ORDER.indexOf(metric)
}

/**
 * NBIRTH: the bdSeq of this connection's will and `Node Control/Rebirth` false, without an alias
 * ([tck-id-topics-nbirth-bdseq-included] [tck-id-topics-nbirth-rebirth-metric]
 * [tck-id-operational-behavior-data-commands-rebirth-name-aliases]).
 */
export function nodeBirth(bdSeq: number, time: number): Omit<SparkplugPayload, 'seq'> {
  return {
    timestamp: time,
    metrics: [
      { name: BD_SEQ_METRIC, datatype: BD_SEQ_DATATYPE, value: bdSeq, timestamp: time },
      { name: REBIRTH_METRIC, datatype: 'Boolean', value: false, timestamp: time }
    ]
  }
}

/** NDEATH, the will: only the bdSeq, and no seq ([tck-id-topics-ndeath-payload] [tck-id-topics-ndeath-seq]). */
export function nodeDeath(bdSeq: number, time: number): SparkplugPayload {
  return { timestamp: time, metrics: [{ name: BD_SEQ_METRIC, datatype: BD_SEQ_DATATYPE, value: bdSeq }] }
}

/** DBIRTH: every metric with its name, alias, datatype, unit and current value ([tck-id-topics-dbirth-metrics]). */
export function deviceBirth(values: ThermostatValues, aliasBase: number, time: number): Omit<SparkplugPayload, 'seq'> {
  return {
    timestamp: time,
    metrics: METRIC_ORDER.map((metric): SparkplugMetric => {
      const { name, datatype, unit } = THERMOSTAT_METRICS[metric]
      return {
        name,
        alias: metricAlias(aliasBase, metric),
        datatype,
        value: values[metric],
        timestamp: time,
        ...(unit === undefined ? {} : { properties: { [UNIT_PROPERTY]: unit } })
      }
    })
  }
}

/** DDATA: the metrics that changed since the last report, by alias ([tck-id-topics-ddata-payload]). */
export function deviceData(changed: Partial<ThermostatValues>, aliasBase: number, time: number): Omit<SparkplugPayload, 'seq'> {
  const metrics = METRIC_ORDER.filter((metric) => changed[metric] !== undefined).map(
    (metric): SparkplugMetric => ({
      alias: metricAlias(aliasBase, metric),
      datatype: THERMOSTAT_METRICS[metric].datatype,
      value: changed[metric]!,
      timestamp: time
    })
  )
  return { timestamp: time, metrics }
}

/** DDEATH: no metrics, a timestamp and (added by the edge node) its seq ([tck-id-payloads-ddeath-seq]). */
export function deviceDeath(time: number): Omit<SparkplugPayload, 'seq'> {
  return { timestamp: time, metrics: [] }
}
