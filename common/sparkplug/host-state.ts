import { ContractError } from '../contract/contract-error.js'
import { booleanValue, epochMillis, parseJsonObject } from '../contract/payload-fields.js'

/**
 * A Sparkplug 3.0 host application's STATE payload, UTF-8 JSON on `spBv1.0/STATE/{host id}`, QoS 1 and
 * retained: `{"online":true,"timestamp":T}` as its birth and `{"online":false,"timestamp":T}` as its will,
 * with the same T, the time of the CONNECT ([tck-id-host-topic-phid-birth-payload-timestamp]).
 */
export interface HostState {
  online: boolean
  /** ms since the epoch, UTC. */
  timestamp: number
}

export function encodeHostState(state: HostState): Buffer {
  return Buffer.from(JSON.stringify({ online: state.online, timestamp: state.timestamp }))
}

/** Throws ContractError for anything but the JSON object above. */
export function decodeHostState(payload: Buffer): HostState {
  const object = parseJsonObject(payload, 'STATE')
  if (object.online === undefined) throw new ContractError('STATE needs online')
  return { online: booleanValue(object.online, 'STATE online'), timestamp: epochMillis(object.timestamp, 'STATE timestamp') }
}
