import type { SparkplugDatatype } from './sparkplug-payload.js'

/**
 * The metrics of a thermopost edge node and its thermostats, by the names their births give them: the simulated
 * edge nodes publish them and the host application reads them.
 */

/** The birth/death sequence number, in the NBIRTH and in the NDEATH will ([tck-id-payloads-nbirth-bdseq]). */
export const BD_SEQ_METRIC = 'bdSeq'
export const BD_SEQ_DATATYPE: SparkplugDatatype = 'Int64'

/** Written `true` in an NCMD to ask for new births; `false` in the NBIRTH ([tck-id-operational-behavior-data-commands-rebirth-name]). */
export const REBIRTH_METRIC = 'Node Control/Rebirth'

/** A thermostat's metrics in its DBIRTH, with their datatypes and units (the `engUnit` property). */
export const THERMOSTAT_METRICS = {
  temperature: { name: 'temperature', datatype: 'Float', unit: '°C' },
  setpoint: { name: 'setpoint', datatype: 'Float', unit: '°C' },
  heating: { name: 'heating', datatype: 'Boolean', unit: undefined }
} as const satisfies Record<string, { name: string; datatype: SparkplugDatatype; unit: string | undefined }>

export type ThermostatMetric = keyof typeof THERMOSTAT_METRICS

/** The property holding a metric's unit in a birth (Tahu's and Ignition's convention). */
export const UNIT_PROPERTY = 'engUnit'
