import type { CommandRecord, CommandState, PeerStatus } from '../api/api-types.js'
import type { Reading } from '../reading.js'

/**
 * What active-active instances tell each other through the broker, and where. A root of its own rather than
 * under `thermopost/`: the devices' logins may write `thermopost/#` (they must, for their own topics), and
 * none of them should be able to forge a command's outcome, a device's last reading or an instance's death.
 * An ACL gives these topics to the service's login only.
 *
 *   thermopost-service/instances/{clientId}        retained, QoS 1: PeerStatus (its will says `gone`)
 *   thermopost-service/last/{deviceId}             retained, QoS 0: the newest stored Reading of the device
 *   thermopost-service/commands/{deviceId}/{id}    retained, QoS 1, with a Message Expiry: the CommandRecord,
 *                                                  again on each change of state
 *
 * Everything is retained, so an instance that starts (or comes back) learns the state as it is now from the
 * SUBSCRIBE alone, whatever it missed and whoever held its session meanwhile.
 * Payloads are JSON; one that does not decode (another version, a person with mosquitto_pub) is dropped.
 */

export const PEER_ROOT = 'thermopost-service'
export const PRESENCE_FILTER = `${PEER_ROOT}/instances/+`
export const LAST_READING_FILTER = `${PEER_ROOT}/last/#`
export const COMMANDS_FILTER = `${PEER_ROOT}/commands/#`

/** The client id as one topic level: it may hold `/`, `+` or `#`. */
export function presenceTopic(clientId: string): string {
  return `${PEER_ROOT}/instances/${encodeURIComponent(clientId)}`
}

/** The client id a presence topic is about; undefined for another topic. */
export function clientIdOfPresence(topic: string): string | undefined {
  const prefix = `${PEER_ROOT}/instances/`
  if (!topic.startsWith(prefix)) return undefined
  try {
    return decodeURIComponent(topic.slice(prefix.length))
  } catch {
    return undefined
  }
}

/** Device ids are made of topic levels, so they never hold a wildcard. */
export function lastReadingTopic(deviceId: string): string {
  return `${PEER_ROOT}/last/${deviceId}`
}

export function commandChangeTopic(record: { deviceId: string; id: string }): string {
  return `${PEER_ROOT}/commands/${record.deviceId}/${encodeURIComponent(record.id)}`
}

export function encodePeerMessage(value: PeerStatus | Reading | CommandRecord): Buffer {
  return Buffer.from(JSON.stringify(value))
}

const PEER_STATES: ReadonlySet<string> = new Set<PeerStatus['state']>(['active', 'gone', 'adopted', 'stopped'])
const COMMAND_STATES: ReadonlySet<string> = new Set<CommandState>(['queued', 'sent', 'acked', 'refused', 'expired', 'timed-out'])

export function decodePresence(payload: Buffer): PeerStatus | undefined {
  const value = parsed(payload)
  if (typeof value?.clientId !== 'string' || typeof value.state !== 'string' || !PEER_STATES.has(value.state)) return undefined
  return value as unknown as PeerStatus
}

export function decodeSharedReading(payload: Buffer): Reading | undefined {
  const value = parsed(payload)
  if (typeof value?.deviceId !== 'string' || typeof value.time !== 'number' || typeof value.temperature !== 'number') return undefined
  return value as unknown as Reading
}

export function decodeCommandChange(payload: Buffer): CommandRecord | undefined {
  const value = parsed(payload)
  if (typeof value?.id !== 'string' || typeof value.deviceId !== 'string' || typeof value.state !== 'string') return undefined
  return COMMAND_STATES.has(value.state) ? (value as unknown as CommandRecord) : undefined
}

function parsed(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString())
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
