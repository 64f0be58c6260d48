import mqtt, { type IPublishPacket, type QoS } from 'mqtt-packet'
import { type Delivery, type EncodedPublish, type Message, type PerSubscriber, remainingExpiry } from './message.js'
import { hasOnlyExpiry, plainPublish, TEMPLATE_PACKET_ID } from './protocol/plain-publish.js'
import type { TopicAliases } from './protocol/topic-aliases.js'

type PublishProperties = NonNullable<IPublishPacket['properties']>

/**
 * Encodes a PUBLISH once per outgoing form and caches it on the message, so a fan-out writes the
 * same Buffer to every subscriber that shares the form; QoS 1/2 copies only patch the packet id.
 * Per-subscriber properties (Subscription Identifiers, Topic Alias, a shortened expiry) get their own encode.
 */

export type ProtocolVersion = 3 | 4 | 5

/** Copies of QoS 1/2 PUBLISHes up to this size are patched in one buffer; larger ones are written as head + shared tail. */
const PATCH_IN_COPY_LIMIT = 1024

function formSlot(version: ProtocolVersion, qos: QoS, retain: boolean): number {
  return (version === 5 ? 6 : 0) + qos * 2 + (retain ? 1 : 0)
}

/** Where the packet id starts: after the fixed header and the topic. */
function packetIdOffset(bytes: Buffer): number {
  let offset = 1
  while ((bytes[offset] & 0x80) !== 0) offset++
  offset++
  return offset + 2 + bytes.readUInt16BE(offset)
}

function encode(
  message: Message,
  version: ProtocolVersion,
  qos: QoS,
  retain: boolean,
  now: number,
  perSubscriber: PerSubscriber | undefined
): EncodedPublish {
  const topic = perSubscriber?.topicAlias !== undefined && !perSubscriber.sendTopic ? '' : message.topic
  if (version !== 5) return plainPublish(message, topic, version, qos, retain, undefined, undefined)
  const expiry = remainingExpiry(message, now)
  // An expiry of 0 its publisher sent (expiresAt 0, so no `expiry`) goes out as it came: the generator writes it.
  if (perSubscriber === undefined && hasOnlyExpiry(message) && (expiry !== undefined || message.properties === undefined)) {
    return plainPublish(message, topic, version, qos, retain, expiry, undefined)
  }
  const properties: PublishProperties = { ...message.properties }
  if (expiry !== undefined) properties.messageExpiryInterval = expiry
  if (perSubscriber?.subscriptionIds !== undefined) properties.subscriptionIdentifier = perSubscriber.subscriptionIds
  if (perSubscriber?.topicAlias !== undefined) properties.topicAlias = perSubscriber.topicAlias
  return encodedForm(message, topic, qos, retain, properties)
}

/**
 * `message` encoded by mqtt-packet's generator as a 5.0 PUBLISH on `topic` with `properties`, its packet id the
 * template one: every form with properties plainPublish does not write (protocol/plain-publish.ts), the broker's
 * subscribers' and a bridge's remote's (bridge/bridged-publish.ts) alike.
 */
export function encodedForm(message: Message, topic: string, qos: QoS, retain: boolean, properties: PublishProperties): EncodedPublish {
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic,
    payload: message.payload,
    qos,
    retain,
    dup: false,
    messageId: qos > 0 ? TEMPLATE_PACKET_ID : undefined,
    properties
  }
  const bytes = mqtt.generate(packet, { protocolVersion: 5 })
  return { bytes, idOffset: qos > 0 ? packetIdOffset(bytes) : -1 }
}

/** The PUBLISH for `delivery` to a client at `version` whose outbound Topic Aliases are `aliases` (5.0, once in play). */
export function encodedDelivery(delivery: Delivery, version: ProtocolVersion, aliases: TopicAliases | undefined): EncodedPublish {
  let perSubscriber: PerSubscriber | undefined
  if (version === 5) {
    if (delivery.subscriptionIds !== undefined) {
      perSubscriber = { subscriptionIds: delivery.subscriptionIds, topicAlias: undefined, sendTopic: true }
    }
    if (aliases !== undefined) perSubscriber = aliases.outboundFor(delivery.message.topic, perSubscriber)
  }
  // The clock matters only for a message that can expire (the remaining interval goes out with it).
  const now = delivery.message.expiresAt === 0 ? 0 : Date.now()
  return encodedPublish(delivery.message, version, delivery.qos, delivery.retain, now, perSubscriber)
}

/**
 * The first bytes of one QoS 1/2 copy of `encoded`, its packet id (and DUP) patched in: the whole packet when
 * it is small, else up to the packet id, and the rest goes out from the shared form (`bytes.subarray(head.length)`).
 */
export function patchedHead(encoded: EncodedPublish, packetId: number, dup: boolean): Buffer {
  const bytes = encoded.bytes
  const head = Buffer.allocUnsafe(bytes.length <= PATCH_IN_COPY_LIMIT ? bytes.length : encoded.idOffset + 2)
  bytes.copy(head, 0, 0, head.length)
  head.writeUInt16BE(packetId, encoded.idOffset)
  if (dup) head[0] |= 0x08
  return head
}

/** The encoded PUBLISH for one delivery; shared and cached unless something in it is per subscriber. */
export function encodedPublish(
  message: Message,
  version: ProtocolVersion,
  qos: QoS,
  retain: boolean,
  now: number,
  perSubscriber: PerSubscriber | undefined
): EncodedPublish {
  const personal =
    perSubscriber !== undefined ||
    (version === 5 && message.expiresAt !== 0 && remainingExpiry(message, now) !== message.properties?.messageExpiryInterval)
  if (personal) return encode(message, version, qos, retain, now, perSubscriber)
  const slot = formSlot(version, qos, retain)
  message.forms ??= new Array(12)
  const cached = message.forms[slot]
  if (cached !== undefined) return cached
  const encoded = encode(message, version, qos, retain, now, undefined)
  message.forms[slot] = encoded
  return encoded
}

/**
 * Seeds the cache with the bytes the message arrived in, when a 3.x subscriber would get exactly
 * those bytes (same QoS, same retain flag): forwarding them needs no encode at all.
 */
export function seedFromWire(message: Message, version: ProtocolVersion, wire: Buffer): void {
  if (version === 5) return
  message.forms ??= new Array(12)
  const forms = message.forms
  const bytes = message.qos > 0 ? clearDup(wire) : wire
  forms[formSlot(4, message.qos, message.retain)] = { bytes, idOffset: message.qos > 0 ? packetIdOffset(bytes) : -1 }
}

function clearDup(wire: Buffer): Buffer {
  if ((wire[0] & 0x08) === 0) return wire
  const copy = Buffer.from(wire)
  copy[0] &= ~0x08
  return copy
}
