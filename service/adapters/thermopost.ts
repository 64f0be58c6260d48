import { ContractError } from '../../common/contract/contract-error.js'
import { decodeReading } from '../../common/contract/reading-codec.js'
import type { ReadingMessage } from '../../common/contract/reading-message.js'
import { STATUS_OFFLINE, STATUS_ONLINE } from '../../common/contract/status.js'
import { parseDeviceTopic, TOPIC_ROOT } from '../../common/contract/topics.js'
import { deviceIdOf } from '../reading.js'
import { type Adapter, type AdapterResult, noReading, notMine, readings, unrecognized } from './adapter.js'
import { siteReading } from './adapter-reading.js'

/**
 * thermopost's own devices (common/contract/): readings on `thermopost/{site}/{device}/reading`,
 * JSON or compact (the contract's decodeReading tells them apart), timed by the device; the retained
 * `thermopost/{site}/{device}/status` ('online' / 'offline', also the will) becomes a status.
 * Meta, commands and acks are the registry's and the command tracker's, read with the contract
 * directly, and are not subscribed here.
 *
 * Device id: `{site}/{device}`; the site is the device's own, not the source.
 */

const source = 'thermopost'

export function createThermopostAdapter(): Adapter {
  return {
    name: source,
    subscriptions: [
      { filter: `${TOPIC_ROOT}/+/+/reading`, shareable: true },
      { filter: `${TOPIC_ROOT}/+/+/status`, shareable: false }
    ],
    decode(topic, payload, receivedAt) {
      const parsed = parseDeviceTopic(topic)
      if (parsed === undefined) return topic.startsWith(`${TOPIC_ROOT}/`) ? unrecognized('not a thermopost device topic') : notMine
      const { site, device } = parsed
      if (parsed.kind === 'reading') return decodeDeviceReading(site, device, payload)
      if (parsed.kind !== 'status') return noReading
      const state = payload.toString('utf8')
      if (state !== STATUS_ONLINE && state !== STATUS_OFFLINE)
        return unrecognized(`status ${JSON.stringify(state.slice(0, 40))} is neither ${STATUS_ONLINE} nor ${STATUS_OFFLINE}`)
      return {
        kind: 'status',
        status: { deviceId: deviceIdOf(site, device), site, device, source, online: state === STATUS_ONLINE, state, time: receivedAt }
      }
    }
  }
}

function decodeDeviceReading(site: string, device: string, payload: Buffer): AdapterResult {
  let message: ReadingMessage
  try {
    message = decodeReading(payload)
  } catch (error) {
    if (error instanceof ContractError) return unrecognized(error.message)
    throw error
  }
  return readings([siteReading(site, device, source, message.time, message.temperature, message)])
}
