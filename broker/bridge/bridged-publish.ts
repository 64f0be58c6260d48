import { type Delivery, type EncodedPublish, type Message, remainingExpiry } from '../message.js'
import { encodedForm, encodedPublish, TEMPLATE_PACKET_ID } from '../publish-encoding.js'
import { BRIDGE_PATH_PROPERTY, withBridgePath } from './bridge-path.js'

/**
 * A bridged PUBLISH, as the out link hands it to the session and gets it back to write: `shared` when its bytes are
 * the message's cached form, which other copies use too; else they were made for this one send, and its packet id
 * may be written into them in place. `remoteTopic` and `payload` are what the out link's events name.
 */
export interface BridgedForm extends EncodedPublish {
  readonly shared: boolean
  readonly remoteTopic: string
  readonly payload: Buffer
}

/** MQTT 5.0 property identifiers written by the direct encoder. */
const MESSAGE_EXPIRY_INTERVAL = 0x02
const USER_PROPERTY = 0x26

/**
 * The PUBLISH a bridge sends to its remote for `delivery`, as `remoteTopic`, encoded into one buffer (one write,
 * where mqtt.js's generator writes each field as a chunk of its own). To a 3.1.1 remote under the same topic it is
 * the message's shared form: for a 3.x publisher's message, the very bytes it arrived in. To a 5.0 remote it
 * carries the remaining expiry and `node` added to the bridge path (bridge-path.ts): written here directly for
 * a message with no other properties (the usual reading), by mqtt-packet's generator otherwise.
 */
export function bridgedPublish(delivery: Delivery, remoteTopic: string, protocolVersion: 4 | 5, node: string): BridgedForm {
  const { message, qos, retain } = delivery
  const now = message.expiresAt === 0 ? 0 : Date.now()
  if (protocolVersion === 4 && remoteTopic === message.topic) {
    return { ...encodedPublish(message, 4, qos, retain, now, undefined), shared: true, remoteTopic, payload: message.payload }
  }
  if (protocolVersion === 5 && hasOnlyExpiry(message)) return plainBridgedPublish(delivery, remoteTopic, node, now)
  const { userProperties, ...properties } = message.properties ?? {}
  const withPath =
    protocolVersion === 5
      ? { ...properties, messageExpiryInterval: remainingExpiry(message, now), userProperties: withBridgePath(userProperties, node) }
      : undefined
  const { bytes, idOffset } = encodedForm(message, remoteTopic, protocolVersion, qos, retain, withPath)
  return { bytes, idOffset, shared: false, remoteTopic, payload: message.payload }
}

function hasOnlyExpiry(message: Message): boolean {
  for (const key in message.properties) if (key !== 'messageExpiryInterval') return false
  return true
}

/** The bridge path user property naming `node` alone, encoded once per node. */
const pathProperties = new Map<string, Buffer>()

function pathPropertyOf(node: string): Buffer {
  let encoded = pathProperties.get(node)
  if (encoded === undefined) {
    const key = Buffer.from(BRIDGE_PATH_PROPERTY)
    const value = Buffer.from(node)
    encoded = Buffer.allocUnsafe(5 + key.length + value.length)
    encoded[0] = USER_PROPERTY
    encoded.writeUInt16BE(key.length, 1)
    key.copy(encoded, 3)
    encoded.writeUInt16BE(value.length, 3 + key.length)
    value.copy(encoded, 5 + key.length)
    pathProperties.set(node, encoded)
  }
  return encoded
}

function varintLength(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : 4
}

function writeVarint(bytes: Buffer, offset: number, value: number): number {
  let rest = value
  let at = offset
  do {
    const digit = rest % 0x80
    rest = Math.floor(rest / 0x80)
    bytes[at++] = rest > 0 ? digit | 0x80 : digit
  } while (rest > 0)
  return at
}

/**
 * The 5.0 PUBLISH of a message without properties of its own (but perhaps an expiry), written field by field into
 * one buffer: mqtt-packet's generator builds a chunk per field and joins them, a large part of a forwarded
 * message's cost. Its bytes are those the generator writes for the same packet.
 */
function plainBridgedPublish(delivery: Delivery, remoteTopic: string, node: string, now: number): BridgedForm {
  const { message, qos, retain } = delivery
  const expiry = remainingExpiry(message, now)
  const path = pathPropertyOf(node)
  const topicLength = Buffer.byteLength(remoteTopic)
  const propertiesLength = (expiry === undefined ? 0 : 5) + path.length
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + varintLength(propertiesLength) + propertiesLength + message.payload.length
  const bytes = Buffer.allocUnsafe(1 + varintLength(remaining) + remaining)
  bytes[0] = 0x30 | (qos << 1) | (retain ? 1 : 0)
  let at = writeVarint(bytes, 1, remaining)
  bytes.writeUInt16BE(topicLength, at)
  at += 2 + bytes.write(remoteTopic, at + 2)
  const idOffset = qos > 0 ? at : -1
  if (qos > 0) at = bytes.writeUInt16BE(TEMPLATE_PACKET_ID, at)
  at = writeVarint(bytes, at, propertiesLength)
  if (expiry !== undefined) {
    bytes[at] = MESSAGE_EXPIRY_INTERVAL
    at = bytes.writeUInt32BE(expiry, at + 1)
  }
  at += path.copy(bytes, at)
  message.payload.copy(bytes, at)
  return { bytes, idOffset, shared: false, remoteTopic, payload: message.payload }
}
