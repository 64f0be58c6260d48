import { createRequire } from 'node:module'
import type sparkplugPayload from 'sparkplug-payload'
import { ContractError } from '../contract/contract-error.js'

/**
 * The Sparkplug B protobuf payload, through Eclipse Tahu's codec (sparkplug-payload), in plain numbers: the
 * codec gives 64-bit fields (timestamps, seq, bdSeq) as Long objects, which stop here. Only what thermopost
 * sends and reads is typed: scalar metrics and string properties (units).
 */

/** The Sparkplug datatypes thermopost uses ([tck-id-payloads-metric-datatype-value]). */
export type SparkplugDatatype = 'Boolean' | 'Float' | 'Double' | 'Int32' | 'Int64' | 'UInt8' | 'UInt32' | 'UInt64' | 'String'

export interface SparkplugMetric {
  /** In births always; in data and commands left out when the birth gave the metric an alias. */
  name?: string
  alias?: number
  /** ms since the epoch, UTC. */
  timestamp?: number
  /** Always written by the codec; in births it is required ([tck-id-payloads-metric-datatype-req]). */
  datatype: SparkplugDatatype
  /** null: the metric's `is_null`. */
  value: number | boolean | string | null
  /** String properties, as the birth's `engUnit`. */
  properties?: Record<string, string>
}

export interface SparkplugPayload {
  /** ms since the epoch, UTC ([tck-id-payloads-timestamp-in-UTC]). */
  timestamp?: number
  /** 0–255; absent only in NDEATH ([tck-id-payloads-sequence-num-always-included]). */
  seq?: number
  metrics: SparkplugMetric[]
}

type Codec = NonNullable<ReturnType<typeof sparkplugPayload.get>>

const require = createRequire(import.meta.url)
let loadedCodec: Codec | undefined

/**
 * The codec, loaded on first use: a process that never reads or writes a Sparkplug payload (a broker without
 * Sparkplug) does not load it and protobufjs, about 2 MB of heap.
 */
function codec(): Codec {
  loadedCodec ??= (require('sparkplug-payload') as typeof sparkplugPayload).get('spBv1.0')!
  return loadedCodec
}

type CodecPayload = ReturnType<Codec['decodePayload']>
type CodecMetric = NonNullable<CodecPayload['metrics']>[number]

export function encodeSparkplugPayload(payload: SparkplugPayload): Buffer {
  const encoded = codec().encodePayload({
    ...(payload.timestamp === undefined ? {} : { timestamp: payload.timestamp }),
    ...(payload.seq === undefined ? {} : { seq: payload.seq }),
    metrics: payload.metrics.map(toCodecMetric)
  })
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
}

/** Throws ContractError for bytes that are not a Sparkplug B payload, or carry values thermopost cannot read. */
export function decodeSparkplugPayload(bytes: Buffer): SparkplugPayload {
  let decoded: CodecPayload
  try {
    decoded = codec().decodePayload(bytes)
  } catch (error) {
    throw new ContractError(`not a Sparkplug B payload: ${(error as Error).message}`)
  }
  const payload: SparkplugPayload = { metrics: (decoded.metrics ?? []).map(fromCodecMetric) }
  if (decoded.timestamp !== undefined && decoded.timestamp !== null) payload.timestamp = plainNumber(decoded.timestamp, 'timestamp')
  if (decoded.seq !== undefined && decoded.seq !== null) payload.seq = plainNumber(decoded.seq, 'seq')
  return payload
}

function toCodecMetric(metric: SparkplugMetric): CodecMetric {
  const properties =
    metric.properties === undefined
      ? undefined
      : Object.fromEntries(Object.entries(metric.properties).map(([key, value]) => [key, { type: 'String' as const, value }]))
  return {
    ...(metric.name === undefined ? {} : { name: metric.name }),
    ...(metric.alias === undefined ? {} : { alias: metric.alias }),
    ...(metric.timestamp === undefined ? {} : { timestamp: metric.timestamp }),
    ...(properties === undefined ? {} : { properties }),
    type: metric.datatype,
    value: metric.value
  }
}

function fromCodecMetric(metric: CodecMetric): SparkplugMetric {
  const value = metric.value
  const plain: SparkplugMetric = {
    datatype: metric.type as SparkplugDatatype,
    value:
      value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string'
        ? value
        : plainNumber(value, 'metric value')
  }
  if (metric.name !== undefined && metric.name !== null) plain.name = metric.name
  if (metric.alias !== undefined && metric.alias !== null) plain.alias = plainNumber(metric.alias, 'metric alias')
  if (metric.timestamp !== undefined && metric.timestamp !== null) plain.timestamp = plainNumber(metric.timestamp, 'metric timestamp')
  if (metric.properties !== undefined) {
    plain.properties = {}
    for (const [key, property] of Object.entries(metric.properties))
      if (typeof property.value === 'string') plain.properties[key] = property.value
  }
  return plain
}

/** A 64-bit field as a number; the codec gives it as a number or as a Long. */
function plainNumber(value: unknown, what: string): number {
  if (typeof value === 'number') return value
  if (typeof value === 'object' && value !== null && typeof (value as { toNumber?: unknown }).toNumber === 'function')
    return (value as { toNumber(): number }).toNumber()
  throw new ContractError(`Sparkplug ${what} must be a number`)
}
