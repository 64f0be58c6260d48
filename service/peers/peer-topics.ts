import type { AlertRecord, AlertState, CommandRecord, CommandState, PeerStatus } from '../api/api-types.js'
import type { Reading } from '../reading.js'

/**
 * What active-active instances tell each other through the broker, and where. A root of its own rather than
 * under `thermopost/`: the devices' logins may write `thermopost/#` (they must, for their own topics), and
 * none of them should be able to forge a command's outcome, a device's last reading or an instance's death.
 * An ACL gives these topics to the service's login only.
 *
 *   thermopost-service/instances/{clientId}        retained, QoS 1: PeerStatus (its will says `gone`)
 *   thermopost-service/last/{deviceId}             retained, QoS 0: the newest stored Reading of the device, with
 *                                                  `"replay": true` when republished rather than just stored
 *   thermopost-service/commands/{deviceId}/{id}    retained, QoS 1, with a Message Expiry: the CommandRecord,
 *                                                  again on each change of state
 *   thermopost-service/alerts/{alertId}            retained, QoS 1: the AlertRecord, by the alert leader, again
 *                                                  on each change; empty once the leader forgets it (or drops
 *                                                  it for another alert of its episode)
 *   thermopost-service/alert-acks/{alertId}        QoS 1: AlertAckRequest, an instance asking the leader to
 *                                                  acknowledge an alert a person acknowledged through its API
 *
 * Everything is retained, so an instance that starts (or comes back) learns the state as it is now from the
 * SUBSCRIBE alone, whatever it missed and whoever held its session meanwhile.
 * Payloads are JSON; one that does not decode (another version, a person with mosquitto_pub) is dropped.
 */

export const PEER_ROOT = 'thermopost-service'
export const PRESENCE_FILTER = `${PEER_ROOT}/instances/+`
export const LAST_READING_FILTER = `${PEER_ROOT}/last/#`
export const COMMANDS_FILTER = `${PEER_ROOT}/commands/#`
export const ALERTS_FILTER = `${PEER_ROOT}/alerts/+`
export const ALERT_ACKS_FILTER = `${PEER_ROOT}/alert-acks/+`

/** What an instance asks of the alert leader: acknowledge this alert, at the time the person did. */
export interface AlertAckRequest {
  acknowledgedAt: number
}

/** The client id as one topic level: it may hold `/`, `+` or `#`. */
export function presenceTopic(clientId: string): string {
  return `${PEER_ROOT}/instances/${encodeURIComponent(clientId)}`
}

/** The client id a presence topic is about; undefined for another topic. */
export function clientIdOfPresence(topic: string): string | undefined {
  return encodedLevelAfter(`${PEER_ROOT}/instances/`, topic)
}

/** The one level of `topic` after `prefix`, decoded; undefined for another topic. */
function encodedLevelAfter(prefix: string, topic: string): string | undefined {
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

export function alertTopic(id: string): string {
  return `${PEER_ROOT}/alerts/${encodeURIComponent(id)}`
}

export function alertAckTopic(id: string): string {
  return `${PEER_ROOT}/alert-acks/${encodeURIComponent(id)}`
}

/** The alert id an alert or alert-ack topic is about; undefined for another topic. */
export function alertIdOf(topic: string): string | undefined {
  return encodedLevelAfter(`${PEER_ROOT}/alerts/`, topic) ?? encodedLevelAfter(`${PEER_ROOT}/alert-acks/`, topic)
}

/**
 * A device's newest stored reading as shared. `replay`: published again to put the retained one right (another
 * instance had published an older one over it), not because it was just stored: like the retained one that a
 * SUBSCRIBE replays, it says nothing about the device being there now.
 */
export interface SharedReading {
  reading: Reading
  replay: boolean
}

export function encodeSharedReading({ reading, replay }: SharedReading): Buffer {
  return encodePeerMessage(replay ? { ...reading, replay: true } : reading)
}

export function encodePeerMessage(
  value: PeerStatus | (Reading & { replay?: true }) | CommandRecord | AlertRecord | AlertAckRequest
): Buffer {
  return Buffer.from(JSON.stringify(value))
}

const PEER_STATES: ReadonlySet<string> = new Set<PeerStatus['state']>(['active', 'gone', 'adopted', 'stopped'])
const COMMAND_STATES: ReadonlySet<string> = new Set<CommandState>(['queued', 'sent', 'acked', 'refused', 'expired', 'timed-out'])

export function decodePresence(payload: Buffer): PeerStatus | undefined {
  const value = parsed(payload)
  if (typeof value?.clientId !== 'string' || typeof value.state !== 'string' || !PEER_STATES.has(value.state)) return undefined
  return value as unknown as PeerStatus
}

export function decodeSharedReading(payload: Buffer): SharedReading | undefined {
  const value = parsed(payload)
  if (typeof value?.deviceId !== 'string' || typeof value.time !== 'number' || typeof value.temperature !== 'number') return undefined
  const { replay, ...reading } = value
  return { reading: reading as unknown as Reading, replay: replay === true }
}

export function decodeCommandChange(payload: Buffer): CommandRecord | undefined {
  const value = parsed(payload)
  if (typeof value?.id !== 'string' || typeof value.deviceId !== 'string' || typeof value.state !== 'string') return undefined
  return COMMAND_STATES.has(value.state) ? (value as unknown as CommandRecord) : undefined
}

const ALERT_STATES: ReadonlySet<string> = new Set<AlertState>(['raised', 'acknowledged', 'cleared'])

export function decodeAlertRecord(payload: Buffer): AlertRecord | undefined {
  const value = parsed(payload)
  if (typeof value?.id !== 'string' || typeof value.ruleId !== 'string' || typeof value.deviceId !== 'string') return undefined
  if (typeof value.raisedAt !== 'number' || typeof value.state !== 'string' || !ALERT_STATES.has(value.state)) return undefined
  return value as unknown as AlertRecord
}

export function decodeAlertAckRequest(payload: Buffer): AlertAckRequest | undefined {
  const value = parsed(payload)
  return typeof value?.acknowledgedAt === 'number' ? { acknowledgedAt: value.acknowledgedAt } : undefined
}

function parsed(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString())
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
