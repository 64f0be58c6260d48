import type { QoS } from 'mqtt-packet'
import type { EncodedPublish, Message } from '../message.js'

/** MQTT 5.0 property identifier of the Message Expiry Interval. */
const MESSAGE_EXPIRY_INTERVAL = 0x02

/** The packet id written into a QoS 1/2 form; each copy sent puts its own in its place (publish-encoding.ts). */
export const TEMPLATE_PACKET_ID = 1

/** Whether `message` has no property but perhaps its expiry, so that its 5.0 PUBLISH can be a `plainPublish`. */
export function hasOnlyExpiry(message: Message): boolean {
  for (const key in message.properties) if (key !== 'messageExpiryInterval') return false
  return true
}

/**
 * The PUBLISH of `message` on `topic`, written field by field into one buffer: mqtt-packet's generator builds a chunk
 * per field and joins them, a large part of the cost of a message that goes to one receiver. In 3.1 and 3.1.1 a
 * PUBLISH has no properties; in 5.0 `expiry` (seconds, if any) is its only property but `added`, properties already
 * encoded that go after it (a bridge's path, bridge/bridged-publish.ts). Its bytes are those the generator writes
 * for the same packet, its packet id the template one.
 */
export function plainPublish(
  message: Message,
  topic: string,
  version: 3 | 4 | 5,
  qos: QoS,
  retain: boolean,
  expiry: number | undefined,
  added: Buffer | undefined
): EncodedPublish {
  const topicLength = Buffer.byteLength(topic)
  const propertiesLength = (expiry === undefined ? 0 : 5) + (added?.length ?? 0)
  const propertiesField = version === 5 ? varintLength(propertiesLength) + propertiesLength : 0
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + propertiesField + message.payload.length
  const bytes = Buffer.allocUnsafe(1 + varintLength(remaining) + remaining)
  bytes[0] = 0x30 | (qos << 1) | (retain ? 1 : 0)
  let at = writeVarint(bytes, 1, remaining)
  bytes.writeUInt16BE(topicLength, at)
  at += 2 + bytes.write(topic, at + 2)
  const idOffset = qos > 0 ? at : -1
  if (qos > 0) at = bytes.writeUInt16BE(TEMPLATE_PACKET_ID, at)
  if (version === 5) {
    at = writeVarint(bytes, at, propertiesLength)
    if (expiry !== undefined) {
      bytes[at] = MESSAGE_EXPIRY_INTERVAL
      at = bytes.writeUInt32BE(expiry, at + 1)
    }
    if (added !== undefined) at += added.copy(bytes, at)
  }
  message.payload.copy(bytes, at)
  return { bytes, idOffset }
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
